// A real HTTP receiver on 127.0.0.1 for the tests: it records every request
// and answers as the path asks, so each test picks its own behaviour and
// reads back only its own requests.
//
//   /ok/<tag>...          200 "ok"
//   /status/<code>/<tag>  that status
//   /slow/<ms>/<tag>      200 after <ms> milliseconds
//   /redirect/<tag>       302 to /ok/<tag>
//   /flaky/<n>/<tag>      500 for the first <n> requests of <tag>, then 200
//   /slow-first/<ms>/<tag> the first request of <tag> after <ms>, then 200 at once
//   /retry-after/<s>/<tag> 429 with Retry-After: <s> the first time, then 200
//   /big/<bytes>/<tag>    200 with a body of <bytes> bytes
//   GET /__received?tag=  the requests recorded for <tag>, oldest first
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type Received = {
	tag: string;
	method: string;
	path: string;
	headers: Record<string, string>;
	body: string;
	at: number;
	/** The address the request came from (the sender IP a receiver would allow-list). */
	remoteAddress: string;
	/** The status this receiver answered, once it has. */
	status?: number;
};

export type Receiver = { url: string; port: number; received: Received[]; close: () => Promise<void> };

const tagOf = (parts: string[]) => parts.join("/");

export const startReceiver = async (port = 0): Promise<Receiver> => {
	const received: Received[] = [];
	const server: Server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on("data", (c: Buffer) => chunks.push(c));
		req.on("end", () => {
			const url = new URL(req.url ?? "/", "http://127.0.0.1");
			if (req.method === "GET" && url.pathname === "/__received") {
				const tag = url.searchParams.get("tag") ?? "";
				res.setHeader("content-type", "application/json");
				res.end(JSON.stringify(received.filter((r) => r.tag === tag)));
				return;
			}
			const [kind = "", ...rest] = url.pathname.split("/").filter(Boolean);
			const arg = ["status", "slow", "flaky", "slow-first", "retry-after", "big"].includes(kind)
				? rest.shift()
				: undefined;
			const tag = tagOf(rest);
			const seen = received.filter((r) => r.tag === tag).length;
			const entry: Received = {
				tag,
				method: req.method ?? "",
				path: url.pathname + url.search,
				headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
				body: Buffer.concat(chunks).toString("utf8"),
				remoteAddress: req.socket.remoteAddress ?? "",
				at: Date.now(),
			};
			received.push(entry);
			res.on("finish", () => {
				entry.status = res.statusCode;
			});
			if (kind === "status") {
				res.statusCode = Number(arg);
				res.end(`status ${arg}`);
			} else if (kind === "slow") {
				setTimeout(() => res.end("slow ok"), Number(arg)).unref();
			} else if (kind === "flaky") {
				res.statusCode = seen < Number(arg) ? 500 : 200;
				res.end(res.statusCode === 200 ? "ok" : "flaky");
			} else if (kind === "slow-first") {
				if (seen === 0) setTimeout(() => res.end("slow ok"), Number(arg)).unref();
				else res.end("ok");
			} else if (kind === "retry-after") {
				if (seen === 0) {
					res.statusCode = 429;
					res.setHeader("retry-after", String(arg));
					res.end("slow down");
				} else res.end("ok");
			} else if (kind === "big") {
				res.end("x".repeat(Number(arg)));
			} else if (kind === "redirect") {
				res.statusCode = 302;
				res.setHeader("location", `/ok/${tag}`);
				res.end();
			} else {
				res.end("ok");
			}
		});
	});
	await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
	const actual = (server.address() as AddressInfo).port;
	return {
		url: `http://127.0.0.1:${actual}`,
		port: actual,
		received,
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
};
