// Hookline's egress proxy: a small Node service, run on a host with a static
// address, that relays the worker's delivery attempts so every receiver sees
// the same sender IP addresses (a Worker cannot choose its source address).
// docs/egress-proxy.md explains how to deploy it. This file starts it: the
// settings from the environment, the listening server, and the CLI entry.
//
// It is no open relay. authentication.ts accepts only requests the worker
// signed in the last 60 s, each nonce once; handler.ts checks the target
// against the worker's own policy; dns-lookup.ts resolves the name itself and
// lets a connection use only addresses it checked (no DNS-rebinding gap);
// relay.ts sends from the bind address, follows no redirects, caps the answer
// and enforces the timeout the worker asked for. The proxy's own failures come
// back with an `x-hookline-egress-error` header (failure.ts), so the worker
// records the right kind.
//
//   npm run egress-proxy        (Node 24 runs these TypeScript files directly)
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
//   EGRESS_MAX_CONNECTIONS       default 512: connections open at once
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import { createEgressProxy, type EgressProxyOptions } from "./handler.ts";

export type { ResolvedAddress } from "./dns-lookup.ts";
export type { EgressProxyOptions } from "./handler.ts";

export type StartOptions = EgressProxyOptions & {
	port?: number;
	host?: string;
	tls?: { cert: string; key: string };
	/** Connections open at once; past it new ones are refused (the worker retries). Default 512. */
	maxConnections?: number;
};

/** A client has this long to send its headers, and its whole request (the relay waits for its own deadline apart). */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;

/** Starts the proxy on `port` (0: any free port); resolves when it listens. */
export const startEgressProxy = async (
	options: StartOptions,
): Promise<{ server: Server; url: string; close: () => Promise<void> }> => {
	const handler = createEgressProxy(options);
	const server: Server = options.tls
		? (createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler) as unknown as Server)
		: createServer(handler);
	server.maxConnections = options.maxConnections ?? 512;
	server.headersTimeout = HEADERS_TIMEOUT_MS;
	server.requestTimeout = REQUEST_TIMEOUT_MS;
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
				// close() alone would wait for idle keep-alive connections too; relays in flight end here
				// (the worker retries them).
				server.closeAllConnections();
			}),
	};
};

const isTrue = (value: string | undefined) => value?.trim().toLowerCase() === "true";

/**
 * The settings from EGRESS_* variables, except TLS (tlsFromEnv). A number that
 * is missing, zero or not a number leaves the default.
 */
const optionsFromEnv = (env: NodeJS.ProcessEnv): StartOptions => ({
	secrets: (env.EGRESS_PROXY_SECRET ?? "")
		.split(",")
		.map((s) => s.trim())
		.filter(Boolean),
	policy: { allowPrivate: isTrue(env.EGRESS_ALLOW_PRIVATE_TARGETS), allowHttp: isTrue(env.EGRESS_ALLOW_HTTP) },
	bindAddress: env.EGRESS_BIND_ADDRESS || undefined,
	maxResponseBytes: Number(env.EGRESS_MAX_RESPONSE_BYTES) || undefined,
	maxRequestBytes: Number(env.EGRESS_MAX_REQUEST_BYTES) || undefined,
	maxTimeoutMs: Number(env.EGRESS_MAX_TIMEOUT_MS) || undefined,
	maxConnections: Number(env.EGRESS_MAX_CONNECTIONS) || undefined,
	port: Number(env.EGRESS_PROXY_PORT ?? 8790),
	host: env.EGRESS_PROXY_HOST,
});

/** The certificate and key, read only when both files are named. */
const tlsFromEnv = ({ EGRESS_PROXY_TLS_CERT: cert, EGRESS_PROXY_TLS_KEY: key }: NodeJS.ProcessEnv) =>
	cert && key ? { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") } : undefined;

const main = async () => {
	const options = optionsFromEnv(process.env);
	if (options.secrets.length === 0) {
		console.error("EGRESS_PROXY_SECRET is not set: the egress proxy refuses to run as an open relay.");
		process.exit(1);
	}
	// TLS files are read after the secret check, so a missing secret is the error reported.
	const proxy = await startEgressProxy({ ...options, tls: tlsFromEnv(process.env) });
	console.log(
		JSON.stringify({
			msg: "egress proxy listening",
			url: proxy.url,
			bindAddress: options.bindAddress ?? "(system default)",
			allowPrivateTargets: options.policy.allowPrivate,
			secrets: options.secrets.length,
		}),
	);
	const stop = () => {
		proxy.close().then(() => process.exit(0));
	};
	process.on("SIGINT", stop);
	process.on("SIGTERM", stop);
};

// Run only as the entry point (`node egress-proxy/server.ts`), not when a test imports startEgressProxy.
if (process.argv[1] && resolvePath(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
