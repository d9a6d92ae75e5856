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
import { lookup as dnsLookup } from "node:dns/promises";
import { readFileSync } from "node:fs";
import {
	createServer,
	request as httpRequest,
	type IncomingHttpHeaders,
	type IncomingMessage,
	type OutgoingHttpHeaders,
	type Server,
	type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer, request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import { EGRESS } from "../src/security/egress.ts";
import { blockedAddressReason, checkTarget, type TargetPolicy } from "../src/security/target.ts";
import { createAuthenticator, readRelayHeaders } from "./authentication.ts";
import { EgressFailure, sendFailure } from "./failure.ts";

export type ResolvedAddress = { address: string; family: number };

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
	resolve?: (hostname: string) => Promise<ResolvedAddress[]>;
	log?: (entry: Record<string, unknown>) => void;
};

const HOP_BY_HOP = new Set([
	"connection",
	"keep-alive",
	"proxy-authenticate",
	"proxy-authorization",
	"proxy-connection",
	"te",
	"trailer",
	"transfer-encoding",
	"upgrade",
	"host",
	"content-length",
]);

/** Headers the worker's platform or this protocol adds, which the receiver must not see. */
const isInfrastructure = (name: string) =>
	name.startsWith("x-hookline-egress") ||
	name.startsWith("cf-") ||
	name.startsWith("x-forwarded-") ||
	name === "x-real-ip" ||
	name === "cdn-loop" ||
	name === "forwarded";

const forwardable = (headers: IncomingHttpHeaders) => {
	const out: OutgoingHttpHeaders = {};
	for (const [name, value] of Object.entries(headers)) {
		if (value === undefined || HOP_BY_HOP.has(name) || isInfrastructure(name)) continue;
		out[name] = value;
	}
	return out;
};

const systemResolve = async (hostname: string) => dnsLookup(hostname, { all: true, verbatim: true });

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

export const createEgressProxy = (options: EgressProxyOptions) => {
	const maxResponseBytes = options.maxResponseBytes ?? 65_536;
	const maxRequestBytes = options.maxRequestBytes ?? 5 * 1024 * 1024;
	const maxTimeoutMs = options.maxTimeoutMs ?? 30_000;
	const resolve = options.resolve ?? systemResolve;
	const log = options.log ?? ((entry) => console.log(JSON.stringify(entry)));
	if (options.secrets.length === 0) throw new Error("the egress proxy needs at least one secret");
	const authenticate = createAuthenticator({ secrets: options.secrets, maxTimeoutMs });

	/** DNS through the policy: every address of the name must be allowed, and the connection uses one of them. */
	const checkedLookup: LookupFunction = (hostname, lookupOptions, callback) => {
		resolve(hostname).then(
			(all) => {
				if (all.length === 0) {
					callback(new EgressFailure("dns", 502, `${hostname} has no address`), "", 4);
					return;
				}
				if (!options.policy.allowPrivate) {
					for (const { address } of all) {
						const reason = blockedAddressReason(address);
						if (reason) return callback(new EgressFailure("blocked", 403, `${hostname} resolves to ${reason}`), "", 4);
					}
				}
				if (lookupOptions.all) callback(null, all);
				else callback(null, all[0]?.address ?? "", all[0]?.family ?? 4);
			},
			(err: NodeJS.ErrnoException) =>
				callback(new EgressFailure("dns", 502, `${hostname} did not resolve (${err.code ?? err.message})`), "", 4),
		);
	};

	const relay = (
		req: IncomingMessage,
		body: Buffer,
		url: URL,
		timeoutMs: number,
	): Promise<{ status: number; headers: OutgoingHttpHeaders; body: Buffer; address?: string }> =>
		new Promise((done, fail) => {
			const headers = forwardable(req.headers);
			headers["content-length"] = String(body.length);
			const send = url.protocol === "https:" ? httpsRequest : httpRequest;
			const outgoing = send(url, {
				method: req.method,
				headers,
				lookup: checkedLookup,
				localAddress: options.bindAddress,
				agent: false,
				signal: AbortSignal.timeout(timeoutMs),
			});
			outgoing.on("error", (err: NodeJS.ErrnoException) => {
				if (err instanceof EgressFailure) return fail(err);
				if (err.name === "TimeoutError" || err.name === "AbortError")
					return fail(new EgressFailure("timeout", 504, `no answer within ${timeoutMs} ms`));
				fail(new EgressFailure("connect", 502, `${url.host}: ${err.code ?? err.message}`));
			});
			outgoing.on("response", (res) => {
				const chunks: Buffer[] = [];
				let size = 0;
				let truncated = false;
				const finish = () => {
					const answer: OutgoingHttpHeaders = {};
					for (const [name, value] of Object.entries(res.headers)) {
						if (value === undefined || HOP_BY_HOP.has(name) || name.startsWith("x-hookline-egress")) continue;
						answer[name] = value;
					}
					if (truncated) answer[EGRESS.truncated] = "true";
					done({
						status: res.statusCode ?? 502,
						headers: answer,
						body: Buffer.concat(chunks).subarray(0, maxResponseBytes),
						address: res.socket?.remoteAddress,
					});
				};
				res.on("data", (chunk: Buffer) => {
					if (truncated) return;
					chunks.push(chunk);
					size += chunk.length;
					if (size > maxResponseBytes) {
						truncated = true;
						res.destroy();
						finish();
					}
				});
				res.on("end", () => {
					if (!truncated) finish();
				});
				res.on("error", (err: NodeJS.ErrnoException) => {
					if (truncated) return;
					if (err.name === "TimeoutError" || err.name === "AbortError")
						return fail(new EgressFailure("timeout", 504, `no complete answer within ${timeoutMs} ms`));
					fail(new EgressFailure("connect", 502, `${url.host}: ${err.code ?? err.message}`));
				});
			});
			outgoing.end(body);
		});

	return async (req: IncomingMessage, res: ServerResponse) => {
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
			const verdict = checkTarget(auth.target, options.policy);
			// The host only: a target's path and query may carry secrets, and this text is logged.
			if (!verdict.ok)
				throw new EgressFailure("blocked", 403, `${URL.parse(auth.target)?.host || "the target"}: ${verdict.reason}`);
			const answer = await relay(req, body, verdict.url, auth.timeoutMs);
			res.writeHead(answer.status, {
				...answer.headers,
				"content-length": String(answer.body.length),
				[EGRESS.relayed]: "relayed",
			});
			res.end(answer.body);
			log({
				msg: "relayed",
				host: verdict.url.host,
				address: answer.address,
				status: answer.status,
				ms: Date.now() - started,
			});
		} catch (err) {
			const failure =
				err instanceof EgressFailure ? err : new EgressFailure("invalid", 500, `proxy error: ${String(err)}`);
			log({
				msg: "refused",
				kind: failure.kind,
				status: failure.status,
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
