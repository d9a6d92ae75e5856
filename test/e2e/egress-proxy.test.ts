// The egress proxy over real HTTP on loopback: a real receiver, the proxy as
// `npm run egress-proxy` runs it, and relay requests signed the way the worker
// signs them. DNS is the one part replaced: names that would need the network
// resolve through a table here (hostile ones to loopback, as a rebinding
// attacker would arrange).
import { spawnSync } from "node:child_process";
import { createServer, request as httpRequest, type Server } from "node:http";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ResolvedAddress, startEgressProxy } from "../../egress-proxy/server.ts";
import { EGRESS, relayHeaders } from "../../src/security/egress.ts";
import { freePort } from "../support/local-hookline.ts";
import { type Receiver, startReceiver } from "../support/receiver.ts";

const SECRET = "egress-test-secret";
const OLD_SECRET = "egress-test-secret-before-rotation";
const encoder = new TextEncoder();

const dns: Record<string, ResolvedAddress[]> = {
	"rebind.test": [{ address: "127.0.0.1", family: 4 }],
	"metadata.test": [{ address: "169.254.169.254", family: 4 }],
	"mixed.test": [
		{ address: "93.184.216.34", family: 4 },
		{ address: "10.0.0.5", family: 4 },
	],
	"mapped.test": [{ address: "::ffff:127.0.0.1", family: 6 }],
};
const resolve = async (hostname: string) => {
	const found = dns[hostname];
	if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
	return found;
};

let receiver: Receiver;
/** Development policy (loopback allowed), sending from 127.0.0.2: the relay itself. */
let open: Awaited<ReturnType<typeof startEgressProxy>>;
/** Production policy: private targets refused, also when DNS points there. */
let strict: Awaited<ReturnType<typeof startEgressProxy>>;
const logs: Record<string, unknown>[] = [];

beforeAll(async () => {
	receiver = await startReceiver();
	open = await startEgressProxy({
		secrets: [SECRET, OLD_SECRET],
		policy: { allowPrivate: true, allowHttp: true },
		bindAddress: "127.0.0.2",
		maxResponseBytes: 1024,
		resolve,
		log: (entry) => logs.push(entry),
	});
	strict = await startEgressProxy({
		secrets: [SECRET],
		policy: { allowPrivate: false, allowHttp: true },
		resolve,
		log: (entry) => logs.push(entry),
	});
});

afterAll(async () => {
	await open?.close();
	await strict?.close();
	await receiver?.close();
});

type Relay = {
	proxy?: string;
	target: string;
	method?: string;
	body?: string;
	headers?: Record<string, string>;
	timeoutMs?: number;
	secret?: string;
	now?: number;
};

/** Signs a relay request as the worker does. */
const signed = async ({ target, method = "POST", body = '{"n":1}', timeoutMs = 5000, secret = SECRET, now }: Relay) =>
	relayHeaders(secret, { method, target, timeoutMs, body: encoder.encode(body) }, now);

const relay = async (r: Relay, headers?: Record<string, string>) => {
	const res = await fetch(r.proxy ?? open.url, {
		method: r.method ?? "POST",
		headers: {
			"content-type": "application/json",
			"x-notifications-idempotency-key": "ntf_egress",
			...r.headers,
			...(headers ?? (await signed(r))),
		},
		body: r.body ?? '{"n":1}',
		redirect: "manual",
	});
	return { status: res.status, headers: res.headers, text: await res.text() };
};

const receivedFor = (tag: string) => receiver.received.filter((r) => r.tag === tag);

describe("egress proxy", () => {
	it("relays a signed request unchanged, from its own address, and marks the answer as relayed", async () => {
		const res = await relay({
			target: `${receiver.url}/ok/egress/plain`,
			method: "PUT",
			body: '{"loan":"L-1"}',
			headers: { "webhook-signature": "v1,abc", "x-custom": "kept" },
		});
		expect(res.status).toBe(200);
		expect(res.text).toBe("ok");
		expect(res.headers.get(EGRESS.relayed)).toBe("relayed");
		const [seen] = receivedFor("egress/plain");
		expect(seen?.remoteAddress).toBe("127.0.0.2");
		expect(seen?.method).toBe("PUT");
		expect(seen?.body).toBe('{"loan":"L-1"}');
		expect(seen?.headers["x-notifications-idempotency-key"]).toBe("ntf_egress");
		expect(seen?.headers["webhook-signature"]).toBe("v1,abc");
		expect(seen?.headers["x-custom"]).toBe("kept");
		// The relay protocol stays between the worker and the proxy.
		expect(Object.keys(seen?.headers ?? {}).filter((h) => h.startsWith("x-hookline-egress"))).toEqual([]);
	});

	it("accepts the previous secret during a rotation", async () => {
		const res = await relay({ target: `${receiver.url}/ok/egress/rotation`, secret: OLD_SECRET });
		expect(res.status).toBe(200);
	});

	it.each([
		["unsigned", async () => ({})],
		["signed with another secret", () => signed({ target: "", secret: "not-the-secret" })],
		["older than 60 s", () => signed({ target: "", now: Date.now() - 61_000 })],
		["from the future", () => signed({ target: "", now: Date.now() + 61_000 })],
	])("refuses a request %s with 401 and sends nothing", async (_case, headersFor) => {
		const tag = `egress/refused/${crypto.randomUUID()}`;
		const target = `${receiver.url}/ok/${tag}`;
		const base = await headersFor();
		// Re-sign for this target where the case signs at all, keeping its flaw.
		const headers = EGRESS.signature in base ? { ...base, [EGRESS.target]: target } : (base as Record<string, string>);
		const res = await relay({ target }, headers as Record<string, string>);
		expect(res.status).toBe(401);
		expect(res.headers.get(EGRESS.error)).toBe("unauthorized");
		expect(res.headers.get(EGRESS.relayed)).toBeNull();
		expect(receivedFor(tag)).toHaveLength(0);
	});

	it("refuses a signature whose target, method or body was changed", async () => {
		const tag = `egress/tampered/${crypto.randomUUID()}`;
		const target = `${receiver.url}/ok/${tag}`;
		const headers = await signed({ target: `${receiver.url}/ok/elsewhere` });
		expect((await relay({ target }, { ...headers, [EGRESS.target]: target })).status).toBe(401);
		expect((await relay({ target, method: "PATCH" }, await signed({ target }))).status).toBe(401);
		expect((await relay({ target, body: '{"n":2}' }, await signed({ target }))).status).toBe(401);
		expect(receivedFor(tag)).toHaveLength(0);
	});

	it("streams a body of no declared length, or over 64 KiB, unchanged, and refuses either unlike its digest", async () => {
		const big = "x".repeat(100_000);
		/** A body sent in two chunks, without a content-length: relayed as it streams, not read whole first. */
		const chunked = (text: string) =>
			new ReadableStream({
				start(controller) {
					controller.enqueue(encoder.encode(text.slice(0, 10)));
					controller.enqueue(encoder.encode(text.slice(10)));
					controller.close();
				},
			});
		const send = async (tag: string, signedBody: string, sentBody: string | ReadableStream<Uint8Array>) => {
			const target = `${receiver.url}/ok/${tag}`;
			const res = await fetch(open.url, {
				method: "POST",
				headers: { "content-type": "application/json", ...(await signed({ target, body: signedBody })) },
				body: sentBody,
				duplex: "half",
			} as RequestInit);
			await res.arrayBuffer();
			return res.status;
		};
		const json = '{"streamed":"in two chunks"}';
		expect(await send("egress/stream/chunked", json, chunked(json))).toBe(200);
		expect(receivedFor("egress/stream/chunked")[0]?.body).toBe(json);
		expect(await send("egress/stream/big", big, big)).toBe(200);
		expect(receivedFor("egress/stream/big")[0]?.body).toBe(big);
		// Unlike its digest: refused, and the receiver never has the whole body.
		expect(await send("egress/stream/chunked-tampered", json, chunked(json.replace("two", "TWO")))).toBe(401);
		expect(await send("egress/stream/big-tampered", big, `${big.slice(0, -1)}y`)).toBe(401);
		expect(receivedFor("egress/stream/chunked-tampered")).toEqual([]);
		expect(receivedFor("egress/stream/big-tampered")).toEqual([]);
	});

	it("refuses a replay of a request it relayed", async () => {
		const tag = `egress/replay/${crypto.randomUUID()}`;
		const target = `${receiver.url}/ok/${tag}`;
		const headers = await signed({ target });
		expect((await relay({ target }, headers)).status).toBe(200);
		const again = await relay({ target }, headers);
		expect(again.status).toBe(401);
		expect(again.text).toMatch(/replayed/);
		expect(receivedFor(tag)).toHaveLength(1);
	});

	it.each([
		["a loopback address", (port: number) => `http://127.0.0.1:${port}/ok/egress/blocked-ip`],
		["a name resolving to loopback (DNS rebinding)", (port: number) => `http://rebind.test:${port}/ok/egress/rebind`],
		["a name resolving to the metadata address", (port: number) => `http://metadata.test:${port}/latest`],
		["a name with one private address among public ones", (port: number) => `http://mixed.test:${port}/ok/x`],
		["a name resolving to an IPv4-mapped loopback", (port: number) => `http://mapped.test:${port}/ok/x`],
		["localhost", (port: number) => `http://localhost:${port}/ok/egress/localhost`],
	])("refuses %s with 403 blocked, and connects nowhere", async (_case, targetFor) => {
		const before = receiver.received.length;
		const res = await relay({ proxy: strict.url, target: targetFor(receiver.port) });
		expect(res.status).toBe(403);
		expect(res.headers.get(EGRESS.error)).toBe("blocked");
		expect(receiver.received.length).toBe(before);
	});

	it("does not follow a redirect: the receiver's 302 comes back as it is", async () => {
		const tag = `egress/redirect/${crypto.randomUUID()}`;
		const res = await relay({ target: `${receiver.url}/redirect/${tag}` });
		expect(res.status).toBe(302);
		expect(res.headers.get(EGRESS.relayed)).toBe("relayed");
		expect(res.headers.get("location")).toBe(`/ok/${tag}`);
		// Only the redirecting request reached the receiver.
		expect(receivedFor(tag).map((r) => r.path)).toEqual([`/redirect/${tag}`]);
	});

	it("enforces the timeout the worker asked for", async () => {
		const started = Date.now();
		const res = await relay({ target: `${receiver.url}/slow/3000/egress/slow`, timeoutMs: 300 });
		expect(res.status).toBe(504);
		expect(res.headers.get(EGRESS.error)).toBe("timeout");
		expect(Date.now() - started).toBeLessThan(2500);
	});

	it("caps the answer it relays", async () => {
		const res = await relay({ target: `${receiver.url}/big/100000/egress/big` });
		expect(res.status).toBe(200);
		expect(res.text.length).toBe(1024);
		expect(res.headers.get(EGRESS.truncated)).toBe("true");
	});

	it("tells its own failures apart: DNS and connect errors", async () => {
		const dnsFailure = await relay({ target: "https://nowhere.test/hook" });
		expect(dnsFailure.status).toBe(502);
		expect(dnsFailure.headers.get(EGRESS.error)).toBe("dns");
		const closed = await freePort();
		const refused = await relay({ target: `http://127.0.0.1:${closed}/hook` });
		expect(refused.status).toBe(502);
		expect(refused.headers.get(EGRESS.error)).toBe("connect");
		expect(refused.headers.get(EGRESS.relayed)).toBeNull();
	});

	it("a receiver cannot forge the proxy's headers", async () => {
		// The receiver's own answer passes through; only the proxy's marker says "relayed".
		const res = await relay({ target: `${receiver.url}/status/502/egress/forged` });
		expect(res.status).toBe(502);
		expect(res.headers.get(EGRESS.relayed)).toBe("relayed");
		expect(res.headers.get(EGRESS.error)).toBeNull();
	});

	it("logs one line per request, without bodies, secrets or a refused target's path and query", async () => {
		const refused = await relay({ proxy: strict.url, target: `http://127.0.0.1:${receiver.port}/p?token=hush-hush` });
		expect(refused.status).toBe(403);
		expect(JSON.stringify(logs)).not.toContain("hush-hush");
		expect(logs.some((l) => l.msg === "relayed")).toBe(true);
		expect(logs.some((l) => l.msg === "refused" && l.kind === "unauthorized")).toBe(true);
		expect(JSON.stringify(logs)).not.toContain(SECRET);
		expect(JSON.stringify(logs)).not.toContain("L-1");
	});

	it("refuses a forged request from its headers, without waiting for (or reading) its body", async () => {
		const target = `${receiver.url}/ok/egress/forged-big`;
		const headers = { ...(await signed({ target })), [EGRESS.signature]: `v2=${"0".repeat(64)}` };
		const url = new URL(open.url);
		// Five megabytes announced, one kilobyte sent, and the rest never: only a reply
		// that does not wait for the body can arrive.
		const answer = await new Promise<{ status: number; connection?: string }>((done, fail) => {
			const req = httpRequest(
				url,
				{ method: "POST", headers: { ...headers, "content-length": String(5 * 1024 * 1024) } },
				(res) => {
					done({ status: res.statusCode ?? 0, connection: res.headers.connection });
					res.resume();
					req.destroy();
				},
			);
			req.on("error", (err) => fail(err));
			req.setTimeout(10_000, () => fail(new Error("no answer before the body")));
			req.write("x".repeat(1024));
		});
		expect(answer).toEqual({ status: 401, connection: "close" });
		expect(receivedFor("egress/forged-big")).toHaveLength(0);
	});

	it("refuses a body declared over its cap before reading it, even when signed", async () => {
		const small = await startEgressProxy({
			secrets: [SECRET],
			policy: { allowPrivate: true, allowHttp: true },
			maxRequestBytes: 16,
			resolve,
			log: () => {},
		});
		try {
			const target = `${receiver.url}/ok/egress/too-big`;
			const body = "y".repeat(17);
			expect((await relay({ proxy: small.url, target, body })).status).toBe(413);
			expect((await relay({ proxy: small.url, target, body: "fits" })).status).toBe(200);
			expect(receivedFor("egress/too-big").map((r) => r.body)).toEqual(["fits"]);
		} finally {
			await small.close();
		}
	});

	it("takes at most maxConnections connections at once", async () => {
		const capped = await startEgressProxy({
			secrets: [SECRET],
			policy: { allowPrivate: true, allowHttp: true },
			maxConnections: 2,
			resolve,
			log: () => {},
		});
		const { port } = new URL(capped.url);
		const open = () =>
			new Promise<Socket>((done, fail) => {
				const socket = connect(Number(port), "127.0.0.1", () => done(socket));
				socket.on("error", fail);
			});
		const held = [await open(), await open()];
		try {
			const third = await open();
			const closed = await new Promise<boolean>((done) => {
				third.on("close", () => done(true));
				third.setTimeout(5000, () => done(false));
				third.write("GET /healthz HTTP/1.1\r\nhost: proxy\r\n\r\n");
			});
			expect(closed).toBe(true);
			third.destroy();
		} finally {
			for (const socket of held) socket.destroy();
			await capped.close();
		}
	});

	/** A receiver of its own that counts the connections it was given, and hears each one close. */
	const connectionCounting = async (keepAliveTimeout: number) => {
		const sockets: Socket[] = [];
		const server: Server = createServer((req, res) => {
			req.resume();
			req.on("end", () => res.end(`ok from ${req.socket.remoteAddress}`));
		});
		server.keepAliveTimeout = keepAliveTimeout;
		server.on("connection", (socket: Socket) => sockets.push(socket));
		await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
		const address = server.address();
		const port = typeof address === "object" && address ? address.port : 0;
		return {
			url: `http://127.0.0.1:${port}`,
			sockets,
			close: () =>
				new Promise<void>((done) => {
					server.closeAllConnections();
					server.close(() => done());
				}),
		};
	};

	it("keeps its connection to a receiver open: relays in a row share one, from its own address", async () => {
		const target = await connectionCounting(10_000);
		try {
			for (let i = 0; i < 3; i++) {
				const res = await relay({ target: `${target.url}/kept/${i}` });
				expect(res.status).toBe(200);
				expect(res.text).toBe("ok from 127.0.0.2");
			}
			expect(target.sockets).toHaveLength(1);
		} finally {
			await target.close();
		}
	});

	it("opens a new connection once the receiver closed the idle one, and the relay succeeds", async () => {
		const target = await connectionCounting(50);
		try {
			expect((await relay({ target: `${target.url}/first` })).status).toBe(200);
			const [first] = target.sockets;
			// The receiver closes the idle connection on its own keep-alive timeout.
			await new Promise((closed) => (first?.closed ? closed(undefined) : first?.once("close", closed)));
			const res = await relay({ target: `${target.url}/second` });
			expect(res.status).toBe(200);
			expect(res.text).toBe("ok from 127.0.0.2");
			expect(target.sockets).toHaveLength(2);
		} finally {
			await target.close();
		}
	});

	it("will not start without a secret", () => {
		const root = join(import.meta.dirname, "..", "..");
		const run = spawnSync(process.execPath, [join(root, "egress-proxy", "server.ts")], {
			env: { PATH: process.env.PATH ?? "", EGRESS_PROXY_PORT: "0" },
			encoding: "utf8",
			timeout: 20_000,
		});
		expect(run.status).toBe(1);
		expect(run.stderr).toMatch(/EGRESS_PROXY_SECRET is not set/);
	});
});
