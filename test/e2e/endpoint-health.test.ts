// A receiver that is down for a while, then recovers, over HTTP: `wrangler dev`
// as `npm start` runs it (with short circuit cool-downs), and a receiver on
// 127.0.0.1 that answers 503 until the test brings it up. The breaker must
// hold the notifications instead of spending their attempts, and deliver every
// one of them after recovery.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalHookline, startHookline } from "../support/local-hookline.ts";

const THRESHOLD = 3;
const EVENTS = 20;

let hookline: LocalHookline;
let server: Server;
let receiverUrl = "";
let up = false;
const seen: { key: string; at: number; up: boolean }[] = [];

beforeAll(async () => {
	server = createServer((req, res) => {
		req.resume();
		req.on("end", () => {
			seen.push({ key: String(req.headers["x-notifications-idempotency-key"]), at: Date.now(), up });
			res.statusCode = up ? 200 : 503;
			res.end(up ? "ok" : "down");
		});
	});
	await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
	receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	hookline = await startHookline({ env: { CIRCUIT_COOLDOWN_SECONDS: "1", CIRCUIT_MAX_COOLDOWN_SECONDS: "4" } });
});

afterAll(async () => {
	await hookline?.stop();
	server?.closeAllConnections();
	await new Promise((closed) => server?.close(closed));
});

const call = async (method: string, path: string, body?: unknown) => {
	const res = await fetch(`${hookline.url}${path}`, {
		method,
		headers: { authorization: `Bearer ${hookline.adminToken}`, "content-type": "application/json" },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	return (await res.json()) as Record<string, unknown> & { data?: Record<string, unknown>[] };
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("a receiver that is down for a while, then recovers", () => {
	it("costs a handful of requests while down, and gets every notification after recovery", async () => {
		const webhook = await call("POST", "/v1/webhooks", {
			name: "flaky receiver",
			eventTypes: ["health.e2e"],
			url: `${receiverUrl}/hook`,
			failureThreshold: THRESHOLD,
			maxConcurrency: 1,
			retryPolicy: { delaysSeconds: [1, 1, 1, 1] },
		});
		for (let i = 0; i < EVENTS; i++) {
			await call("POST", "/v1/events", { type: "health.e2e", data: { i } });
			await sleep(50);
		}
		// Down for 8 s: without a breaker, 20 notifications would each spend their 5 attempts.
		await sleep(8000);
		const whileDown = seen.filter((s) => !s.up).length;
		const health = await call("GET", `/v1/webhooks/${webhook.id}/health`);
		expect((health.circuit as { state: string }).state).not.toBe("closed");
		expect((health.backlog as { paused: number }).paused).toBeGreaterThan(0);
		// The threshold, then one probe per cool-down (1, 2, 4, 4 s …): a handful, not a flood.
		expect(whileDown).toBeGreaterThanOrEqual(THRESHOLD);
		expect(whileDown).toBeLessThanOrEqual(THRESHOLD + 6);

		up = true;
		const until = Date.now() + 60_000;
		let statuses: string[] = [];
		while (Date.now() < until) {
			const list = await call("GET", `/v1/notifications?webhookId=${webhook.id}&limit=200`);
			statuses = (list.data ?? []).map((n) => n.status as string);
			if (statuses.length === EVENTS && statuses.every((s) => s === "delivered")) break;
			await sleep(250);
		}
		expect(statuses).toHaveLength(EVENTS);
		expect(statuses.every((s) => s === "delivered")).toBe(true);
		// Each notification answered 2xx exactly once.
		const delivered = seen.filter((s) => s.up);
		expect(new Set(delivered.map((s) => s.key)).size).toBe(EVENTS);
		expect(delivered).toHaveLength(EVENTS);
		const after = await call("GET", `/v1/webhooks/${webhook.id}/health`);
		expect(after.circuit).toMatchObject({ state: "closed", consecutiveFailures: 0 });
	});
});
