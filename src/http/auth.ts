// Bearer-token auth with two roles: admin may do everything, ingest may only
// post events. Tokens are compared in constant time.
import type { MiddlewareHandler } from "hono";
import { timingSafeEqual } from "hono/utils/buffer";
import { missingSecrets, readConfig } from "../config";
import { ProblemError } from "./problem";

export type Role = "admin" | "ingest";

const anyMatches = async (candidate: string, tokens: string[]) => {
	let found = false;
	// Compare against every token so timing does not reveal which one matched.
	for (const token of tokens) if (await timingSafeEqual(candidate, token)) found = true;
	return found;
};

export const bearerAuth = ({ allow }: { allow: Role[] }): MiddlewareHandler<{ Bindings: Env }> =>
	async function bearerAuth(c, next) {
		const config = readConfig(c.env);
		const missing = missingSecrets(config);
		if (missing.length > 0) {
			throw new ProblemError(503, `Hookline is not configured: missing secret ${missing.join(", ")}.`);
		}
		const header = c.req.header("authorization") ?? "";
		const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
		if (!match?.[1]) {
			throw new ProblemError(401, "Send `Authorization: Bearer <token>` with an admin or ingest token.");
		}
		const token = match[1];
		const role: Role | undefined = (await anyMatches(token, config.adminTokens))
			? "admin"
			: (await anyMatches(token, config.ingestTokens))
				? "ingest"
				: undefined;
		if (!role) throw new ProblemError(401, "The bearer token is not known.");
		if (!allow.includes(role)) {
			throw new ProblemError(403, `The ${role} token may not ${c.req.method} ${c.req.path}.`);
		}
		await next();
	};
