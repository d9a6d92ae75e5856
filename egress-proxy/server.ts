// Hookline's egress proxy: a small Node service, run on a host with a static
// address, that relays the worker's delivery attempts so every receiver sees
// the same sender IP addresses (a Worker cannot choose its source address).
// docs/egress-proxy.md explains how to deploy it.
//
// It is no open relay: it answers only requests the worker signed with
// EGRESS_PROXY_SECRET in the last 60 s, each nonce once (src/security/egress.ts
// defines the protocol). It resolves DNS itself and connects only to an address
// it checked against the same blocked ranges as the worker (no DNS-rebinding
// gap), never follows redirects, caps the answer it relays and enforces the
// timeout the worker asked for. Its own failures come back with an
// `x-hookline-egress-error` header, so the worker records the right kind.
//
//   npm run egress-proxy        (Node 24 runs this TypeScript file directly)
//
// Environment:
//   EGRESS_PROXY_SECRET          required; comma-separated to accept an old and a new secret
//   EGRESS_PROXY_PORT            default 8790
//   EGRESS_PROXY_HOST            default 127.0.0.1 (put a TLS terminator in front, or set the next two)
//   EGRESS_PROXY_TLS_CERT, EGRESS_PROXY_TLS_KEY   PEM files: serve https itself
//   EGRESS_BIND_ADDRESS          local address of outgoing connections (the sender IP), default: the system's choice
//   EGRESS_ALLOW_PRIVATE_TARGETS "true" only for local development
//   EGRESS_ALLOW_HTTP            "true" to relay to http: receivers (public addresses only)
//   EGRESS_MAX_RESPONSE_BYTES    default 65536: the part of an answer relayed
//   EGRESS_MAX_REQUEST_BYTES     default 5242880
//   EGRESS_MAX_TIMEOUT_MS        default 30000
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import { EGRESS } from "../src/security/egress.ts";
import { checkTarget, type TargetPolicy } from "../src/security/target.ts";
import { createAuthenticator, readRelayHeaders } from "./authentication.ts";
import { createCheckedLookup, type Resolve, systemResolve } from "./dns-lookup.ts";
import { EgressFailure, sendFailure } from "./failure.ts";
import { createRelay } from "./relay.ts";

export type { ResolvedAddress } from "./dns-lookup.ts";

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

/**
 * The relay request's body, refused beyond `limit`. Destroying the request
 * closes its connection, so the sender sees the connection cut rather than
 * the 413; the 413 shows in the log.
 */
const readBody = (req: IncomingMessage, limit: number) =>
	new Promise<Buffer>((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		req.on("data", (chunk: Buffer) => {
			size += chunk.length;
			if (size > limit) {
				reject(new EgressFailure("invalid", 413, `the request body is over ${limit} bytes`));
				req.destroy();
				return;
			}
			chunks.push(chunk);
		});
		req.on("end", () => resolve(Buffer.concat(chunks)));
		req.on("error", reject);
	});

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
			// Headers and age first: an unsigned stranger never gets to send a body.
			const headers = readRelayHeaders(req);
			const body = await readBody(req, maxRequestBytes);
			const auth = await authenticate(req.method ?? "", headers, body);
			target = auth.target;
			const url = allowedUrl(auth.target, options.policy);
			const answer = await relay({ method: req.method, headers: req.headers, body, url, timeoutMs: auth.timeoutMs });
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

/** Starts the proxy on `port` (0: any free port); resolves when it listens. */
export const startEgressProxy = async (
	options: EgressProxyOptions & { port?: number; host?: string; tls?: { cert: string; key: string } },
): Promise<{ server: Server; url: string; close: () => Promise<void> }> => {
	const handler = createEgressProxy(options);
	const server: Server = options.tls
		? (createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler) as unknown as Server)
		: createServer(handler);
	const host = options.host ?? "127.0.0.1";
	await new Promise<void>((ready) => server.listen(options.port ?? 0, host, ready));
	const address = server.address();
	const port = typeof address === "object" && address ? address.port : 0;
	return {
		server,
		url: `${options.tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${port}/relay`,
		close: () =>
			new Promise<void>((closed) => {
				server.close(() => closed());
				server.closeAllConnections();
			}),
	};
};

const isTrue = (value: string | undefined) => value?.trim().toLowerCase() === "true";

const main = async () => {
	const secrets = (process.env.EGRESS_PROXY_SECRET ?? "")
		.split(",")
		.map((s) => s.trim())
		.filter(Boolean);
	if (secrets.length === 0) {
		console.error("EGRESS_PROXY_SECRET is not set: the egress proxy refuses to run as an open relay.");
		process.exit(1);
	}
	const cert = process.env.EGRESS_PROXY_TLS_CERT;
	const key = process.env.EGRESS_PROXY_TLS_KEY;
	const proxy = await startEgressProxy({
		secrets,
		policy: {
			allowPrivate: isTrue(process.env.EGRESS_ALLOW_PRIVATE_TARGETS),
			allowHttp: isTrue(process.env.EGRESS_ALLOW_HTTP),
		},
		bindAddress: process.env.EGRESS_BIND_ADDRESS || undefined,
		maxResponseBytes: Number(process.env.EGRESS_MAX_RESPONSE_BYTES) || undefined,
		maxRequestBytes: Number(process.env.EGRESS_MAX_REQUEST_BYTES) || undefined,
		maxTimeoutMs: Number(process.env.EGRESS_MAX_TIMEOUT_MS) || undefined,
		port: Number(process.env.EGRESS_PROXY_PORT ?? 8790),
		host: process.env.EGRESS_PROXY_HOST ?? "127.0.0.1",
		tls: cert && key ? { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") } : undefined,
	});
	console.log(
		JSON.stringify({
			msg: "egress proxy listening",
			url: proxy.url,
			bindAddress: process.env.EGRESS_BIND_ADDRESS || "(system default)",
			allowPrivateTargets: isTrue(process.env.EGRESS_ALLOW_PRIVATE_TARGETS),
			secrets: secrets.length,
		}),
	);
	const stop = () => {
		proxy.close().then(() => process.exit(0));
	};
	process.on("SIGINT", stop);
	process.on("SIGTERM", stop);
};

if (process.argv[1] && resolvePath(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
