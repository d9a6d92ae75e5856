// Bearer-token auth with two roles: admin may do everything, ingest may only
// post events. Tokens are compared in constant time.
import type { MiddlewareHandler } from "hono";
import { missingSecrets, readConfig } from "../config";
import { ProblemError } from "./problem";

export type Role = "admin" | "ingest";

const digest = (value: string) => crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));

/** Digests of configured tokens, computed once per token string (configuration, not request state). */
const tokenDigests = new Map<string, Promise<ArrayBuffer>>();
const digestOfToken = (token: string) => {
	let d = tokenDigests.get(token);
	if (!d) {
		d = digest(token);
		tokenDigests.set(token, d);
	}
	return d;
};

/** Compares digests (equal length) in constant time, against every token so timing tells nothing. */
const anyMatches = async (candidate: ArrayBuffer, tokens: string[]) => {
	let found = false;
	for (const token of tokens) {
		if (crypto.subtle.timingSafeEqual(candidate, await digestOfToken(token))) found = true;
	}
	return found;
};

/** Whether `token` is one of the configured admin tokens (constant time). */
export const isAdminToken = async (config: { adminTokens: string[] }, token: string) =>
	anyMatches(await digest(token), config.adminTokens);

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
		const candidate = await digest(match[1]);
		const [admin, ingest] = await Promise.all([
			anyMatches(candidate, config.adminTokens),
			anyMatches(candidate, config.ingestTokens),
		]);
		const role: Role | undefined = admin ? "admin" : ingest ? "ingest" : undefined;
		if (!role) throw new ProblemError(401, "The bearer token is not known.");
		if (!allow.includes(role)) {
			throw new ProblemError(403, `The ${role} token may not ${c.req.method} ${c.req.path}.`);
		}
		await next();
	};
