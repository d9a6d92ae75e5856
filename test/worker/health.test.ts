// Endpoint health in the endpoint gate: the circuit breaker's transitions,
// the paused backlog and its release, auto-disable, 410 Gone, pacing, and
// the health and enable routes. Time is moved by editing the gate's own
// storage (runInDurableObject) and alarms are run with runDurableObjectAlarm.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { deliver } from "../../src/delivery/consumer";
import type { EndpointGate, GateSend } from "../../src/gate";
import { RELEASE_PER_SECOND } from "../../src/gate/paused";
import { metrics } from "../../src/metrics";
import {
	api,
	createWebhook,
	defaultShard as env,
	eventually,
	gateInput,
	gateOf,
	gateSend,
	INGEST,
	received,
	seedNotification,
	uniqueTag,
} from "./helpers";

/** A send through `webhookId`'s gate, whose circuit opens after 3 failures. */
const input = (webhookId: string, notificationId: string, url: string, extra: Partial<GateSend> = {}): GateSend =>
	gateInput(notificationId, url, { webhookId, failureThreshold: 3, ...extra });

type Circuit = { state: string; consecutive_failures: number; cool_down_ms: number; next_probe_at: number | null };

const circuitOf = (stub: DurableObjectStub<EndpointGate>) =>
	runInDurableObject(stub, (_i: EndpointGate, state) => state.storage.sql.exec<Circuit>("SELECT * FROM circuit").one());

const pausedIds = (stub: DurableObjectStub<EndpointGate>) =>
	runInDurableObject(stub, (_i: EndpointGate, state) =>
		state.storage.sql
			.exec<{ notification_id: string }>("SELECT notification_id FROM paused ORDER BY notification_id")
			.toArray()
			.map((r) => r.notification_id),
	);

/** As if the cool-down were over: the next probe is due now. */
const probeDueNow = (stub: DurableObjectStub<EndpointGate>) =>
	runInDurableObject(stub, (_i: EndpointGate, state) => {
		state.storage.sql.exec("UPDATE circuit SET next_probe_at = ? WHERE id = 1", Date.now() - 1);
	});

/** Sends `n` failing attempts (distinct notifications) through the gate. */
const fail = async (stub: DurableObjectStub<EndpointGate>, webhookId: string, tag: string, n: number) => {
	for (let i = 0; i < n; i++)
		expect(
			(await gateSend(stub, input(webhookId, `ntf_${tag}_f${i}`, `${env.RECEIVER_URL}/status/500/${tag}`))).kind,
		).toBe("sent");
};

describe("circuit breaker", () => {
	it("opens after failureThreshold consecutive failures; then notifications wait without a request", async () => {
		const tag = uniqueTag("open");
		const stub = gateOf(`wh_${tag}`);
		await fail(stub, `wh_${tag}`, tag, 3);
		expect(await circuitOf(stub)).toMatchObject({ state: "open", consecutive_failures: 3, cool_down_ms: 30_000 });
		const answer = await gateSend(stub, input(`wh_${tag}`, `ntf_${tag}_waits`, `${env.RECEIVER_URL}/ok/${tag}`));
		expect(answer.kind).toBe("paused");
		if (answer.kind === "paused") expect(answer.reason).toMatch(/circuit open after 3 consecutive failed attempts/);
		expect(await received(tag)).toHaveLength(3);
		expect(await pausedIds(stub)).toEqual([`ntf_${tag}_waits`]);
		// The alarm is set for the probe.
		const alarm = await runInDurableObject(stub, (_i: EndpointGate, state) => state.storage.getAlarm());
		expect(alarm).toBeGreaterThan(Date.now());
	});

	it("counts only consecutive failures: a success in between starts again", async () => {
		const tag = uniqueTag("reset");
		const stub = gateOf(`wh_${tag}`);
		await fail(stub, `wh_${tag}`, tag, 2);
		await gateSend(stub, input(`wh_${tag}`, `ntf_${tag}_ok`, `${env.RECEIVER_URL}/ok/${tag}`));
		await fail(stub, `wh_${tag}`, `${tag}b`, 2);
		expect(await circuitOf(stub)).toMatchObject({ state: "closed", consecutive_failures: 2 });
	});

	it("probes after the cool-down: a failed probe reopens it with the cool-down doubled", async () => {
		const tag = uniqueTag("probe-fail");
		const stub = gateOf(`wh_${tag}`);
		await fail(stub, `wh_${tag}`, tag, 3);
		await probeDueNow(stub);
		const probe = await gateSend(stub, input(`wh_${tag}`, `ntf_${tag}_p1`, `${env.RECEIVER_URL}/status/503/${tag}`));
		expect(probe.kind).toBe("sent");
		const circuit = await circuitOf(stub);
		expect(circuit).toMatchObject({ state: "open", cool_down_ms: 60_000 });
		expect(circuit.next_probe_at).toBeGreaterThan(Date.now() + 55_000);
	});

	it("a successful probe closes the circuit and resets the cool-down", async () => {
		const tag = uniqueTag("probe-ok");
		const stub = gateOf(`wh_${tag}`);
		await fail(stub, `wh_${tag}`, tag, 3);
		await probeDueNow(stub);
		await gateSend(stub, input(`wh_${tag}`, `ntf_${tag}_p1`, `${env.RECEIVER_URL}/status/503/${tag}`));
		await probeDueNow(stub);
		expect((await gateSend(stub, input(`wh_${tag}`, `ntf_${tag}_p2`, `${env.RECEIVER_URL}/ok/${tag}`))).kind).toBe(
			"sent",
		);
		expect(await circuitOf(stub)).toMatchObject({ state: "closed", consecutive_failures: 0, cool_down_ms: 30_000 });
	});

	it("sends one probe at a time: while it is in flight, others wait (half-open)", async () => {
		const tag = uniqueTag("half-open");
		const stub = gateOf(`wh_${tag}`);
		await fail(stub, `wh_${tag}`, tag, 3);
		await probeDueNow(stub);
		const probe = gateSend(stub, input(`wh_${tag}`, `ntf_${tag}_probe`, `${env.RECEIVER_URL}/slow/400/${tag}`));
		await eventually(async () => ((await circuitOf(stub)).state === "half_open" ? true : undefined));
		const other = await gateSend(stub, input(`wh_${tag}`, `ntf_${tag}_other`, `${env.RECEIVER_URL}/ok/${tag}`));
		expect(other.kind).toBe("paused");
		expect((await probe).kind).toBe("sent");
		expect((await circuitOf(stub)).state).toBe("closed");
	});

	it("does not count Hookline's own failures (a refused target) against the receiver", async () => {
		const tag = uniqueTag("own");
		const stub = gateOf(`wh_${tag}`);
		for (let i = 0; i < 4; i++)
			await gateSend(stub, input(`wh_${tag}`, `ntf_${tag}_${i}`, "file:///etc/passwd".replace("file:", "ftp:")));
		expect(await circuitOf(stub)).toMatchObject({ state: "closed", consecutive_failures: 0 });
	});
});

describe("paused backlog", () => {
	it("the consumer marks a notification paused with the reason and spends no attempt", async () => {
		const tag = uniqueTag("paused-api");
		const webhook = await createWebhook({ url: `${env.RECEIVER_URL}/ok/${tag}`, failureThreshold: 3 });
		const stub = gateOf(webhook.id);
		await fail(stub, webhook.id, `${tag}-down`, 3);
		const { id } = await seedNotification(webhook.id);
		expect(await deliver(env, id)).toEqual({ ack: true });
		const detail = (await (await api(`/v1/notifications/${id}`)).json()) as {
			status: string;
			lastError: string;
			attemptCount: number;
			attempts: unknown[];
		};
		expect(detail.status).toBe("paused");
		expect(detail.lastError).toMatch(/circuit open/);
		expect(detail.attempts).toHaveLength(0);
		expect(await received(tag)).toHaveLength(0);
	});

	it("the alarm sends the oldest paused notification as the probe; on success the rest follow, oldest first", async () => {
		const tag = uniqueTag("release");
		const webhook = await createWebhook({ url: `${env.RECEIVER_URL}/ok/${tag}`, failureThreshold: 3 });
		const stub = gateOf(webhook.id);
		await fail(stub, webhook.id, `${tag}-down`, 3);
		const seeded: string[] = [];
		for (let i = 0; i < 3; i++) {
			const { id } = await seedNotification(webhook.id, { at: Date.now() + i });
			await deliver(env, id);
			seeded.push(id);
		}
		expect(await pausedIds(stub)).toEqual([...seeded].sort());
		await probeDueNow(stub);
		expect(await runDurableObjectAlarm(stub)).toBe(true);
		const arrived = await eventually(async () => {
			const got = await received(tag);
			return got.length === 3 ? got : undefined;
		});
		expect(arrived.map((r) => r.headers["x-notifications-idempotency-key"])).toEqual([...seeded].sort());
		await eventually(async () => ((await pausedIds(stub)).length === 0 ? true : undefined));
		expect(await circuitOf(stub)).toMatchObject({ state: "closed" });
	});

	it("after recovery, releases at most RELEASE_PER_SECOND per alarm round, oldest first", async () => {
		const tag = uniqueTag("bounded");
		const stub = gateOf(`wh_${tag}`);
		const ids = Array.from({ length: RELEASE_PER_SECOND + 7 }, (_, i) => `ntf_${tag}_${String(i).padStart(3, "0")}`);
		await runInDurableObject(stub, async (_i: EndpointGate, state) => {
			state.storage.sql.exec(
				`INSERT INTO circuit (id, state, consecutive_failures, cool_down_ms, next_send_at, webhook_id, disable_after_ms)
				 VALUES (1, 'closed', 0, 30000, 0, ?, 432000000)`,
				`wh_${tag}`,
			);
			for (const id of ids)
				state.storage.sql.exec("INSERT INTO paused (notification_id, paused_at) VALUES (?, ?)", id, Date.now());
			await state.storage.setAlarm(Date.now());
		});
		const sentBefore = metrics().queueMessagesSent;
		expect(await runDurableObjectAlarm(stub)).toBe(true);
		// The gate's release messages are counted like every other queue send.
		expect(metrics().queueMessagesSent - sentBefore).toBe(RELEASE_PER_SECOND);
		// Unknown to D1, these are acked by the consumer without a send; what matters is what the gate did.
		const rows = () =>
			runInDurableObject(stub, (_i: EndpointGate, state) =>
				state.storage.sql
					.exec<{ notification_id: string; released_at: number | null; releases: number }>(
						"SELECT notification_id, released_at, releases FROM paused ORDER BY notification_id",
					)
					.toArray(),
			);
		const first = await rows();
		expect(first.filter((r) => r.released_at !== null).map((r) => r.notification_id)).toEqual(
			ids.slice(0, RELEASE_PER_SECOND),
		);
		expect(first.filter((r) => r.released_at === null).map((r) => r.notification_id)).toEqual(
			ids.slice(RELEASE_PER_SECOND),
		);
		const next = await runInDurableObject(stub, (_i: EndpointGate, state) => state.storage.getAlarm());
		expect(next).not.toBeNull();
		// The next round releases the rest; a release whose message was lost (not sent in 60 s) goes again.
		expect(await runDurableObjectAlarm(stub)).toBe(true);
		await runInDurableObject(stub, (_i: EndpointGate, state) => {
			state.storage.sql.exec(
				"UPDATE paused SET released_at = ? WHERE notification_id = ?",
				Date.now() - 61_000,
				ids[0],
			);
		});
		await runInDurableObject(stub, async (_i: EndpointGate, state) => state.storage.setAlarm(Date.now()));
		expect(await runDurableObjectAlarm(stub)).toBe(true);
		const again = (await rows()).find((r) => r.notification_id === ids[0]);
		expect(again?.releases).toBe(2);
		expect(again?.released_at).toBeGreaterThan(Date.now() - 10_000);
		expect((await rows()).every((r) => r.released_at !== null)).toBe(true);
	});
});

describe("auto-disable", () => {
	it("disables a webhook whose circuit stayed open for disableAfterHours; what waited becomes skipped", async () => {
		const tag = uniqueTag("disable");
		const webhook = await createWebhook({ url: `${env.RECEIVER_URL}/ok/${tag}`, failureThreshold: 3 });
		const stub = gateOf(webhook.id);
		await fail(stub, webhook.id, tag, 3);
		const { id } = await seedNotification(webhook.id);
		await deliver(env, id);
		await runInDurableObject(stub, (_i: EndpointGate, state) => {
			state.storage.sql.exec("UPDATE circuit SET opened_at = ? WHERE id = 1", Date.now() - 121 * 3_600_000);
		});
		expect(await runDurableObjectAlarm(stub)).toBe(true);
		const hook = (await (await api(`/v1/webhooks/${webhook.id}`)).json()) as {
			enabled: boolean;
			disabledReason: string;
			disabledAt: string;
		};
		expect(hook.enabled).toBe(false);
		expect(hook.disabledReason).toMatch(/circuit open for 120 h/);
		expect(Date.parse(hook.disabledAt)).toBeGreaterThan(Date.now() - 60_000);
		const n = (await (await api(`/v1/notifications/${id}`)).json()) as { status: string; lastError: string };
		expect(n.status).toBe("skipped");
		expect(n.lastError).toMatch(/webhook disabled/);
		expect(await pausedIds(stub)).toEqual([]);
	});

	it("disables a webhook at once when the receiver answers 410 Gone", async () => {
		const tag = uniqueTag("gone");
		const webhook = await createWebhook({ url: `${env.RECEIVER_URL}/status/410/${tag}` });
		const { id } = await seedNotification(webhook.id);
		await deliver(env, id);
		const hook = (await (await api(`/v1/webhooks/${webhook.id}`)).json()) as {
			enabled: boolean;
			disabledReason: string;
		};
		expect(hook.enabled).toBe(false);
		expect(hook.disabledReason).toMatch(/410 Gone/);
		const n = (await (await api(`/v1/notifications/${id}`)).json()) as { status: string };
		expect(n.status).toBe("failed");
		expect(await received(tag)).toHaveLength(1);
	});

	it("enable re-enables, closes the circuit and re-sends what was skipped", async () => {
		const tag = uniqueTag("enable");
		const type = `${tag}.created`;
		const webhook = await createWebhook({ url: `${env.RECEIVER_URL}/ok/${tag}`, eventTypes: [type] });
		expect((await api(`/v1/webhooks/${webhook.id}`, { method: "PATCH", body: { enabled: false } })).status).toBe(200);
		expect((await api("/v1/events", { method: "POST", token: INGEST, body: { type, data: {} } })).status).toBe(202);
		const disabled = (await (await api(`/v1/webhooks/${webhook.id}/health`)).json()) as {
			enabled: boolean;
			disabledReason: string;
			backlog: { skipped: number };
		};
		expect(disabled).toMatchObject({ enabled: false, disabledReason: "disabled through the API" });
		expect(disabled.backlog.skipped).toBe(1);
		const res = await api(`/v1/webhooks/${webhook.id}/enable`, { method: "POST", body: { resendSkipped: true } });
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ enabled: true, disabledReason: null, resent: 1, skipped: 0 });
		await eventually(async () => ((await received(tag)).length === 1 ? true : undefined));
	});

	it("enable without resendSkipped says how many were skipped, and keeps them", async () => {
		const tag = uniqueTag("enable-count");
		const type = `${tag}.created`;
		const webhook = await createWebhook({ url: `${env.RECEIVER_URL}/ok/${tag}`, eventTypes: [type], enabled: false });
		for (let i = 0; i < 2; i++) await api("/v1/events", { method: "POST", token: INGEST, body: { type, data: {} } });
		const res = await api(`/v1/webhooks/${webhook.id}/enable`, { method: "POST" });
		expect(await res.json()).toMatchObject({ enabled: true, skipped: 2, resent: 0 });
		expect(await received(tag)).toHaveLength(0);
	});
});

describe("pacing", () => {
	it("spaces sends to rateLimitPerSecond, and answers busy beyond a second of backlog", async () => {
		const tag = uniqueTag("pace");
		const stub = gateOf(`wh_${tag}`);
		const answers = await Promise.all(
			Array.from({ length: 8 }, (_, i) =>
				gateSend(
					stub,
					input(`wh_${tag}`, `ntf_${tag}_${i}`, `${env.RECEIVER_URL}/ok/${tag}`, { rateLimitPerSecond: 4 }),
				),
			),
		);
		const sent = answers.filter((a) => a.kind === "sent").length;
		// 4 per second: the slots within the next second (now, +250, +500, +750, +1000 ms) go out; the rest requeue.
		expect(sent).toBeGreaterThanOrEqual(4);
		expect(sent).toBeLessThanOrEqual(5);
		expect(answers.filter((a) => a.kind === "busy")).toHaveLength(8 - sent);
		const at = ((await received(tag)) as unknown as { at: number }[]).map((r) => r.at).sort((a, b) => a - b);
		for (let i = 1; i < at.length; i++) expect((at[i] as number) - (at[i - 1] as number)).toBeGreaterThanOrEqual(200);
	});
});

describe("health", () => {
	it("shows the circuit, success rate, latency and backlog, and a summary in the list", async () => {
		const tag = uniqueTag("health");
		const webhook = await createWebhook({ url: `${env.RECEIVER_URL}/ok/${tag}`, failureThreshold: 3 });
		const stub = gateOf(webhook.id);
		await gateSend(stub, input(webhook.id, `ntf_${tag}_ok`, `${env.RECEIVER_URL}/ok/${tag}`));
		await fail(stub, webhook.id, tag, 3);
		await seedNotification(webhook.id, { status: "retrying", nextAttemptAt: Date.now() + 600_000 });
		const health = (await (await api(`/v1/webhooks/${webhook.id}/health`)).json()) as Record<string, unknown> & {
			circuit: { state: string; consecutiveFailures: number; nextProbeAt: string };
			lastHour: { attempts: number; succeeded: number; successRate: number; latencyMs: { p50: number } };
			backlog: { retrying: number };
		};
		expect(health.circuit).toMatchObject({ state: "open", consecutiveFailures: 3 });
		expect(Date.parse(health.circuit.nextProbeAt)).toBeGreaterThan(Date.now());
		expect(health.lastHour).toMatchObject({ attempts: 4, succeeded: 1, successRate: 0.25 });
		expect(health.lastHour.latencyMs.p50).toBeGreaterThan(0);
		expect(health.lastError).toBe("HTTP 500");
		expect(health.backlog.retrying).toBe(1);
		const list = (await (await api("/v1/webhooks?limit=200")).json()) as {
			data: { id: string; health: Record<string, unknown> }[];
		};
		expect(list.data.find((w) => w.id === webhook.id)?.health).toMatchObject({
			circuit: "open",
			consecutiveFailures: 3,
			successRateLastHour: 0.25,
		});
	});
});

describe("pacing backlog", () => {
	it("keeps each waiting notification's slot: coming back does not push it further out", async () => {
		const tag = uniqueTag("slots");
		const stub = gateOf(`wh_${tag}`);
		const send = (n: string) =>
			gateSend(stub, input(`wh_${tag}`, `ntf_${tag}_${n}`, `${env.RECEIVER_URL}/ok/${tag}`, { rateLimitPerSecond: 1 }));
		const first = await Promise.all(["a", "b", "c", "d", "e"].map(send));
		expect(first.slice(0, 2).map((a) => a.kind)).toEqual(["sent", "sent"]);
		const e1 = first[4];
		expect(e1?.kind).toBe("busy");
		const e2 = await send("e");
		const f = await send("f");
		if (e1?.kind !== "busy" || e2.kind !== "busy" || f.kind !== "busy") throw new Error("expected busy answers");
		// e still holds its slot (about 3 s away now); f, new, queues behind everyone.
		expect(e2.retryInSeconds).toBeLessThanOrEqual(e1.retryInSeconds);
		expect(f.retryInSeconds).toBeGreaterThan(e2.retryInSeconds);
	});
});

describe("webhook list health", () => {
	it("leaves the health summaries out with ?health=false", async () => {
		await createWebhook();
		const list = (await (await api("/v1/webhooks?limit=5&health=false")).json()) as { data: Record<string, unknown>[] };
		expect(list.data.length).toBeGreaterThan(0);
		for (const w of list.data) expect(w).not.toHaveProperty("health");
	});
});
