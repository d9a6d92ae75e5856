// A receiver that is down for a while, then recovers, over HTTP: `wrangler dev`
// as `npm start` runs it (with short circuit cool-downs), and a receiver on
// 127.0.0.1 that answers 503 until the test brings it up. The breaker must
// hold the notifications instead of spending their attempts, and deliver every
// one of them after recovery; an alerts webhook hears once that the circuit
// opened and once that it closed (operational events, written by the gate).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HooklineApi, holdsFor, hooklineApi } from "../support/api.ts";
import { type LocalHookline, startHookline } from "../support/local-hookline.ts";

const THRESHOLD = 3;
const EVENTS = 20;

let hookline: LocalHookline;
let server: Server;
let api: HooklineApi;
let receiverUrl = "";
let up = false;
const seen: { key: string; at: number; up: boolean }[] = [];
/** What the alerts webhook got (its path answers 200 throughout). */
const alerts: { type: string; data: { webhook: { id: string } } }[] = [];

beforeAll(async () => {
	server = createServer((req, res) => {
		if (req.url?.startsWith("/alerts")) {
			const chunks: Buffer[] = [];
			req.on("data", (c: Buffer) => chunks.push(c));
			req.on("end", () => {
				alerts.push(JSON.parse(Buffer.concat(chunks).toString()));
				res.end("ok");
			});
			return;
		}
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
	api = hooklineApi(hookline);
});

afterAll(async () => {
	await hookline?.stop();
	server?.closeAllConnections();
	await new Promise((closed) => server?.close(closed));
});

describe("a receiver that is down for a while, then recovers", () => {
	it("costs a handful of requests while down, and gets every notification after recovery", async () => {
		await api.json("POST", "/v1/webhooks", {
			name: "alerts",
			eventTypes: ["hookline.webhook.*"],
			url: `${receiverUrl}/alerts`,
		});
		const webhook = await api.json("POST", "/v1/webhooks", {
			name: "flaky receiver",
			eventTypes: ["health.e2e"],
			url: `${receiverUrl}/hook`,
			failureThreshold: THRESHOLD,
			maxConcurrency: 1,
			retryPolicy: { delaysSeconds: [1, 1, 1, 1] },
		});
		for (let i = 0; i < EVENTS; i++) await api.json("POST", "/v1/events", { type: "health.e2e", data: { i } });
		type Health = { circuit: { state: string }; backlog: { paused: number } };
		await api.poll("the circuit opens and holds notifications", async () => {
			const health = (await api.json("GET", `/v1/webhooks/${webhook.id}/health`)) as unknown as Health;
			return health.circuit.state !== "closed" && health.backlog.paused > 0 ? health : undefined;
		});
		// Down for 8 s more: without a breaker, 20 notifications would each spend their 5
		// attempts; with it, the threshold, then one probe per cool-down (1, 2, 4, 4 s …).
		const handful = () => seen.filter((s) => !s.up).length <= THRESHOLD + 6;
		await holdsFor("a handful of requests while down", handful, 8000, 250);
		expect(seen.filter((s) => !s.up).length).toBeGreaterThanOrEqual(THRESHOLD);
		const health = (await api.json("GET", `/v1/webhooks/${webhook.id}/health`)) as unknown as Health;
		expect(health.circuit.state).not.toBe("closed");
		expect(health.backlog.paused).toBeGreaterThan(0);

		up = true;
		const statuses = await api.poll(
			"every notification delivered after recovery",
			async () => {
				const list = await api.json("GET", `/v1/notifications?webhookId=${webhook.id}&limit=200`);
				const all = (list.data ?? []).map((n) => n.status as string);
				return all.length === EVENTS && all.every((s) => s === "delivered") ? all : undefined;
			},
			60_000,
		);
		expect(statuses).toHaveLength(EVENTS);
		expect(statuses.every((s) => s === "delivered")).toBe(true);
		// Each notification answered 2xx exactly once.
		const delivered = seen.filter((s) => s.up);
		expect(new Set(delivered.map((s) => s.key)).size).toBe(EVENTS);
		expect(delivered).toHaveLength(EVENTS);
		const after = await api.json("GET", `/v1/webhooks/${webhook.id}/health`);
		expect(after.circuit).toMatchObject({ state: "closed", consecutiveFailures: 0 });
		// The outage, told once as it began and once as it ended, however many probes failed between.
		const told = await api.poll("the alerts webhook hears of the circuit's two turns", async () => {
			const turns = alerts.filter((a) => a.data.webhook.id === webhook.id).map((a) => a.type);
			return turns.includes("hookline.webhook.circuit_closed") ? turns : undefined;
		});
		expect(told.sort()).toEqual(["hookline.webhook.circuit_closed", "hookline.webhook.circuit_opened"]);
	});
});
