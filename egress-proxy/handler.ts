// The proxy's request handler: answers the health check, and takes a relay
// request through its stages in order (authenticate, check the target,
// relay) with one log line per request. Each stage refuses by throwing an
// EgressFailure, which is answered and logged in one place here.
import type { IncomingMessage, ServerResponse } from "node:http";
import { EGRESS } from "../src/security/egress.ts";
import { checkTarget, type TargetPolicy } from "../src/security/target.ts";
import { createAuthenticator, readRelayHeaders } from "./authentication.ts";
import { createCheckedLookup, type Resolve, systemResolve } from "./dns-lookup.ts";
import { EgressFailure, sendFailure } from "./failure.ts";
import { createRelay } from "./relay.ts";

export type EgressProxyOptions = {
	/** Accepted signing secrets: the current one, and the previous one during a rotation. */
	secrets: string[];
	policy: TargetPolicy;
	/** Local address for outgoing connections: the sender IP receivers see. */
	bindAddress?: string;
	maxResponseBytes?: number;
	maxRequestBytes?: number;
	maxTimeoutMs?: number;
	/** DNS resolution (all addresses of a name); the system resolver unless replaced. */
	resolve?: Resolve;
	log?: (entry: Record<string, unknown>) => void;
};

/** The target policy, the same code the worker runs, with the proxy's own settings. */
const allowedUrl = (target: string, policy: TargetPolicy) => {
	const verdict = checkTarget(target, policy);
	if (verdict.ok) return verdict.url;
	// The host only: a target's path and query may carry secrets, and this text is logged.
	throw new EgressFailure("blocked", 403, `${URL.parse(target)?.host || "the target"}: ${verdict.reason}`);
};

export const createEgressProxy = (options: EgressProxyOptions) => {
	if (options.secrets.length === 0) throw new Error("the egress proxy needs at least one secret");
	const maxRequestBytes = options.maxRequestBytes ?? 5 * 1024 * 1024;
	const log = options.log ?? ((entry) => console.log(JSON.stringify(entry)));
	const authenticate = createAuthenticator({ secrets: options.secrets, maxTimeoutMs: options.maxTimeoutMs ?? 30_000 });
	const relay = createRelay({
		lookup: createCheckedLookup({ resolve: options.resolve ?? systemResolve, policy: options.policy }),
		bindAddress: options.bindAddress,
		maxResponseBytes: options.maxResponseBytes ?? 65_536,
		maxRequestBytes,
	});

	return async function handleRequest(req: IncomingMessage, res: ServerResponse) {
		const started = Date.now();
		const path = new URL(req.url ?? "/", "http://proxy").pathname;
		if (req.method === "GET" && path === "/healthz") {
			res.writeHead(200, { "content-type": "application/json" });
			res.end(JSON.stringify({ ok: true }));
			return;
		}
		let target: string | undefined;
		try {
			if (path !== "/relay") throw new EgressFailure("invalid", 404, "relay requests go to /relay");
			// Authenticated from the headers alone: a stranger never gets a byte of a body read.
			const auth = await authenticate(req.method ?? "", readRelayHeaders(req));
			target = auth.target;
			const url = allowedUrl(auth.target, options.policy);
			const answer = await relay({
				method: req.method,
				headers: req.headers,
				body: req,
				bodyDigest: auth.bodyDigest,
				url,
				timeoutMs: auth.timeoutMs,
			});
			res.writeHead(answer.status, {
				...answer.headers,
				"content-length": String(answer.body.length),
				[EGRESS.relayed]: "relayed",
			});
			res.end(answer.body);
			log({ msg: "relayed", host: url.host, address: answer.address, status: answer.status, ms: Date.now() - started });
		} catch (err) {
			const failure =
				err instanceof EgressFailure ? err : new EgressFailure("invalid", 500, `proxy error: ${String(err)}`);
			log({
				msg: "refused",
				kind: failure.kind,
				status: failure.status,
				// Only an authenticated target is logged: what a stranger claims is not worth a line.
				host: target ? URL.parse(target)?.host : undefined,
				detail: failure.message,
				ms: Date.now() - started,
			});
			if (!res.headersSent) sendFailure(res, failure);
			else res.destroy();
		}
	};
};
