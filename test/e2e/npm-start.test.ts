// `npm start` and what it leaves out of wrangler's local runtime
// (scripts/local-runtime.ts, docs/performance-log.md): the DevTools inspector
// (HOOKLINE_INSPECTOR=1 at HOOKLINE_INSPECTOR_PORT puts it back), the line per
// request served and per attempt relayed (HOOKLINE_REQUEST_LOG=1) and
// wrangler's local observability (X_LOCAL_OBSERVABILITY=true). The worker's
// own lines and the egress proxies' refusals are printed either way, and
// Hookline serves either way; with the inspector, `wrangler dev` itself runs,
// request lines and all, still without local traces.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leanLocalRuntime } from "../../scripts/local-runtime.ts";
import { hooklineApi, poll } from "../support/api.ts";
import { freePort, type LocalHookline, startHookline } from "../support/local-hookline.ts";
import { type Receiver, startReceiver } from "../support/receiver.ts";

let receiver: Receiver;
beforeAll(async () => {
	receiver = await startReceiver();
});
afterAll(async () => {
	await receiver?.close();
});

/** What the inspector lists at `port`, or the error that says nothing listens there. */
const inspectorTargets = async (port: number) => {
	try {
		const res = await fetch(`http://127.0.0.1:${port}/json`, { signal: AbortSignal.timeout(5000) });
		return (await res.json()) as { webSocketDebuggerUrl?: string }[];
	} catch (err) {
		return err as Error;
	}
};

const ingests = async (url: string, token: string, type = "inspector.check") =>
	(
		await fetch(`${url}/v1/events`, {
			method: "POST",
			headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
			body: JSON.stringify({ type, data: {} }),
		})
	).status;

/** Asks wrangler's local trace store how many spans it holds: a count, or the error status and message. */
const tracedSpans = async (url: string) => {
	const res = await fetch(`${url}/cdn-cgi/explorer/api/local/observability/query`, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify({ sql: "SELECT count(*) AS spans FROM spans" }),
	});
	const body = (await res.json()) as { result?: { rows?: unknown[][] }; errors?: { message: string }[] };
	return res.ok ? Number(body.result?.rows?.[0]?.[0]) : `${res.status} ${body.errors?.[0]?.message}`;
};

/** A delivery to a port nobody listens on fails, and the worker logs a line for the failed attempt. */
const failedAttemptLogged = async (hookline: LocalHookline) => {
	const api = hooklineApi(hookline);
	const closed = await freePort();
	const created = await api.call("POST", "/v1/webhooks", {
		name: "nobody listens",
		eventTypes: ["inspector.check"],
		url: `http://127.0.0.1:${closed}/x`,
	});
	expect(created.status).toBe(201);
	expect(await ingests(hookline.url, hookline.ingestToken)).toBe(202);
	await api.poll("the failed attempt's line", async () =>
		hookline.output().includes('"msg":"attempt"') ? true : undefined,
	);
};

/** A delivery through the local region's egress proxy to the receiver: it arrives. */
const deliveredThroughProxy = async (hookline: LocalHookline, tag: string) => {
	const api = hooklineApi(hookline);
	const created = await api.call("POST", "/v1/webhooks", {
		name: "relay check",
		eventTypes: ["relay.check"],
		url: `${receiver.url}/ok/${tag}`,
	});
	expect(created.status).toBe(201);
	expect(await ingests(hookline.url, hookline.ingestToken, "relay.check")).toBe(202);
	const from = await api.poll("the delivery", async () => receiver.received.find((r) => r.tag === tag)?.remoteAddress);
	// From the default tenant's region, eu: its proxy sends from 127.0.0.2.
	expect(from).toBe("127.0.0.2");
};

/** The line a local egress proxy prints for an attempt it relayed. */
const RELAY_LINE = /\[egress eu\] \{"msg":"relayed"/;

/** The line wrangler prints for a request it served. */
const REQUEST_LINE = /POST \/v1\/events.*202 Accepted/;

describe("npm start and what it leaves out of wrangler's local runtime", () => {
	it("starts without the inspector, request lines and local traces by default, and prints the worker's lines", async () => {
		const port = await freePort();
		// The environment a developer's shell would have: nothing of wrangler's set.
		const hookline = await startHookline({
			env: {
				HOOKLINE_INSPECTOR_PORT: String(port),
				HOOKLINE_INSPECTOR: undefined,
				HOOKLINE_REQUEST_LOG: undefined,
				WRANGLER_LOG: undefined,
				X_LOCAL_OBSERVABILITY: undefined,
			},
		});
		try {
			expect(await ingests(hookline.url, hookline.ingestToken)).toBe(202);
			expect(await inspectorTargets(port)).toBeInstanceOf(Error);
			expect(hookline.output()).toMatch(/DevTools inspector off/);
			expect(await tracedSpans(hookline.url)).toMatch(/^404 Local observability is not enabled/);
			await failedAttemptLogged(hookline);
			// The proxy's refusal of the attempt to the closed port is printed; a relayed attempt is not.
			expect(hookline.output()).toMatch(/\[egress eu\] \{"msg":"refused","kind":"connect"/);
			await deliveredThroughProxy(hookline, "quiet-relay");
			expect(hookline.output()).not.toMatch(REQUEST_LINE);
			expect(hookline.output()).not.toMatch(RELAY_LINE);
		} finally {
			await hookline.stop();
		}
	});

	it("prints a line per request with HOOKLINE_REQUEST_LOG=1 and keeps local traces with X_LOCAL_OBSERVABILITY=true", async () => {
		const hookline = await startHookline({
			env: {
				HOOKLINE_REQUEST_LOG: "1",
				X_LOCAL_OBSERVABILITY: "true",
				HOOKLINE_INSPECTOR: undefined,
				WRANGLER_LOG: undefined,
			},
		});
		try {
			expect(await ingests(hookline.url, hookline.ingestToken)).toBe(202);
			await poll("the request line", async () => (REQUEST_LINE.test(hookline.output()) ? true : undefined));
			const spans = await poll("a traced span", async () => {
				const count = await tracedSpans(hookline.url);
				return typeof count === "number" && count > 0 ? count : undefined;
			});
			expect(spans).toBeGreaterThan(0);
			await failedAttemptLogged(hookline);
			await deliveredThroughProxy(hookline, "logged-relay");
			await poll("the relay line", async () => (RELAY_LINE.test(hookline.output()) ? true : undefined));
		} finally {
			await hookline.stop();
		}
	});

	it("starts wrangler dev with the inspector on HOOKLINE_INSPECTOR_PORT when HOOKLINE_INSPECTOR=1", async () => {
		const port = await freePort();
		const hookline = await startHookline({
			env: {
				HOOKLINE_INSPECTOR: "1",
				HOOKLINE_INSPECTOR_PORT: String(port),
				HOOKLINE_REQUEST_LOG: undefined,
				WRANGLER_LOG: undefined,
				X_LOCAL_OBSERVABILITY: undefined,
			},
		});
		try {
			// `wrangler dev` itself: its request lines and its printing of the worker's lines; no local traces.
			await failedAttemptLogged(hookline);
			await poll("the request line", async () => (REQUEST_LINE.test(hookline.output()) ? true : undefined));
			expect(await tracedSpans(hookline.url)).toMatch(/^404 Local observability is not enabled/);
			const targets = await inspectorTargets(port);
			expect(targets).not.toBeInstanceOf(Error);
			expect((targets as { webSocketDebuggerUrl?: string }[])[0]?.webSocketDebuggerUrl).toContain(`:${port}/`);
		} finally {
			await hookline.stop();
		}
	});
});

describe("npm start's local regions", () => {
	it("refuses to start, naming the addresses, when a local egress proxy cannot listen", async () => {
		// Something else holds the eu proxy's port on 127.0.0.2.
		const port = await freePort();
		const holder = createServer();
		await new Promise<void>((listening) => holder.listen(port, "127.0.0.2", listening));
		const stateDir = mkdtempSync(join(tmpdir(), "hookline-e2e-"));
		try {
			const child = spawn(process.execPath, [join(import.meta.dirname, "..", "..", "scripts", "start.ts")], {
				stdio: ["ignore", "pipe", "pipe"],
				env: {
					...process.env,
					PORT: String(await freePort()),
					HOOKLINE_STATE_DIR: stateDir,
					HOOKLINE_EGRESS_PORT: String(port),
				},
			});
			let output = "";
			child.stdout.on("data", (d: Buffer) => {
				output += d.toString();
			});
			child.stderr.on("data", (d: Buffer) => {
				output += d.toString();
			});
			const code = await new Promise<number | null>((exited) => child.once("exit", exited));
			expect(code).toBe(1);
			expect(output).toMatch(
				/could not start the local egress proxies on 127\.0\.0\.2 and 127\.0\.0\.3 \(.*EADDRINUSE/,
			);
			expect(output).toContain("REGIONS='[]' npm start");
		} finally {
			holder.close();
			rmSync(stateDir, { recursive: true, force: true });
		}
	});
});

describe("the rule of what npm start leaves out (scripts/local-runtime.ts)", () => {
	const run = (env: NodeJS.ProcessEnv, keepRequestLines = false) => {
		const runtime = leanLocalRuntime(env, { keepRequestLines });
		return {
			env,
			quietRequests: runtime.quietRequests,
			requestLines: runtime.requestLines,
			observability: runtime.observability,
			prints: !!runtime.workerLogs,
		};
	};

	it("leaves out local traces and request lines from an empty environment, and prints the worker's lines itself", () => {
		expect(run({})).toEqual({
			env: { X_LOCAL_OBSERVABILITY: "false", WRANGLER_LOG: "warn" },
			quietRequests: true,
			requestLines: false,
			observability: false,
			prints: true,
		});
	});

	it("keeps what the environment asks for", () => {
		expect(run({ HOOKLINE_REQUEST_LOG: "1", X_LOCAL_OBSERVABILITY: "TRUE" })).toMatchObject({
			env: { HOOKLINE_REQUEST_LOG: "1", X_LOCAL_OBSERVABILITY: "TRUE" },
			quietRequests: false,
			requestLines: true,
			observability: true,
			prints: false,
		});
		expect(run({ X_LOCAL_OBSERVABILITY: "FALSE" }).observability).toBe(false);
		expect(run({}, true)).toEqual({
			env: { X_LOCAL_OBSERVABILITY: "false" },
			quietRequests: false,
			requestLines: true,
			observability: false,
			prints: false,
		});
	});

	it("follows a WRANGLER_LOG of the user's own, still printing the worker's lines wrangler would drop", () => {
		for (const [level, prints, requestLines] of [
			["warn", true, false],
			["info", true, true],
			["ERROR", true, false],
			["log", false, true],
			["debug", false, true],
			["none", false, false],
		] as const) {
			const result = run({ WRANGLER_LOG: level });
			expect({
				level,
				wranglerLog: result.env.WRANGLER_LOG,
				quiet: result.quietRequests,
				prints: result.prints,
				requestLines: result.requestLines,
			}).toEqual({
				level,
				wranglerLog: level,
				quiet: false,
				prints,
				requestLines,
			});
		}
	});
});
