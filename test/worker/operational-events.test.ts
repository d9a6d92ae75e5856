// Operational events (docs/operational-events.md): each occurrence writes one
// hookline.* event in its tenant's log, also when the message, the record or
// the alarm behind it comes again; webhooks get them only by naming them, never
// the webhook an event is about, and a failed notification of one emits
// nothing further. Every test works in a tenant of its own, so the events it
// counts are its own.
import { createMessageBatch, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { WebhookRow } from "../../src/db/schema";
import type { ShardEnv } from "../../src/db/shards";
import { unpackText } from "../../src/db/stored-text";
import { deliver, handleDeliveries } from "../../src/delivery/consumer";
import { handleDeadLetters } from "../../src/delivery/dead-letters";
import { record } from "../../src/delivery/record";
import type { EndpointGate, GateSend } from "../../src/gate";
import { newId } from "../../src/ids";
import type { DeliveryMessage } from "../../src/queue/messages";
import {
	api,
	createTenant,
	createWebhook,
	eventually,
	gateInput,
	gateOf,
	gateSend,
	historyOf,
	received,
	seedNotification,
	uniqueTag,
} from "./helpers";
import { lines, streamTenant } from "./stream-support";

type Shard = Awaited<ReturnType<typeof historyOf>>;

type Stored = {
	id: string;
	type: string;
	occurredAt: number;
	data: Record<string, unknown> & { webhook?: { id: string } };
};

/** A tenant of its own, its history shard, and a webhook in it making calls under its path. */
const setUp = async () => {
	const tenant = await createTenant();
	const env = await historyOf(tenant.id);
	const base = `/v1/tenants/${tenant.id}`;
	const webhook = (fields: Record<string, unknown>) => createWebhook(fields, { base });
	return { tenantId: tenant.id, env, base, webhook };
};

/** The tenant's operational events, oldest first. */
const operational = async (env: ShardEnv, tenantId: string, type?: string): Promise<Stored[]> => {
	const { results } = await env.DB.prepare(
		"SELECT id, type, occurred_at, data FROM events WHERE tenant_id = ? AND type LIKE 'hookline.%' AND (?2 IS NULL OR type = ?2) ORDER BY received_at, id",
	)
		.bind(tenantId, type ?? null)
		.all<{ id: string; type: string; occurred_at: number; data: string }>();
	return Promise.all(
		results.map(async (r) => ({
			id: r.id,
			type: r.type,
			occurredAt: r.occurred_at,
			data: JSON.parse(await unpackText(r.data)),
		})),
	);
};

/** The notifications of an event, by webhook. */
const notificationsOf = async (env: ShardEnv, tenantId: string, eventId: string) =>
	(
		await env.DB.prepare("SELECT webhook_id, status FROM notifications WHERE tenant_id = ? AND event_id = ?")
			.bind(tenantId, eventId)
			.all<{ webhook_id: string; status: string }>()
	).results;

/** What a receiver got as the JSON envelope of an event. */
const envelopes = async (tag: string) =>
	(await received(tag)).map((r) => JSON.parse(r.body) as { id: string; type: string; data: Stored["data"] });

const arrivedAt = (tag: string, n: number) =>
	eventually(async () => {
		const got = await envelopes(tag);
		return got.length >= n ? got : undefined;
	});

/** A webhook whose single attempt fails (no retries), and which also names every operational type. */
const failingHook = (webhook: (f: Record<string, unknown>) => Promise<{ id: string }>, env: Shard, tag: string) =>
	webhook({
		name: "Ledger",
		url: `${env.RECEIVER_URL}/status/500/${tag}`,
		eventTypes: ["loan.*", "hookline.*"],
		retryPolicy: { delaysSeconds: [] },
	});

/** A notification of `hookId` with one attempt allowed, and the record of that attempt failing (503). */
const lastFailedAttempt = async (env: Shard, tenantId: string, hookId: string) => {
	const { id } = await seedNotification(hookId, { tenantId });
	const row = await env.DB.prepare("SELECT * FROM notifications WHERE id = ?").bind(id).first();
	const n = {
		id,
		tenantId,
		eventId: row?.event_id,
		eventType: "loan.created",
		series: 0,
		trigger: "auto",
		attemptCount: 0,
		requestMethod: null,
	} as unknown as Parameters<typeof record>[1];
	const webhookRow = { id: hookId, name: "Ledger", retryDelaysSeconds: [] } as unknown as WebhookRow;
	const attempt = {
		attemptId: newId("att"),
		number: 1,
		startedAt: Date.now(),
		outcome: {
			succeeded: false,
			statusCode: 503,
			errorKind: "http" as const,
			error: "HTTP 503",
			responseExcerpt: null,
			durationMs: 3,
		},
		request: { method: "POST", url: "http://receiver.test/x", headers: {}, body: "{}" },
	};
	return { id, n, webhookRow, attempt };
};

describe("hookline.notification.failed", () => {
	it("is emitted once when the last attempt fails, goes to the alerts webhook, and never to the failing one", async () => {
		const { tenantId, env, webhook } = await setUp();
		const tag = uniqueTag("failing");
		const alertsTag = uniqueTag("alerts");
		const failing = await failingHook(webhook, env, tag);
		const alerts = await webhook({
			name: "Alerts",
			url: `${env.RECEIVER_URL}/ok/${alertsTag}`,
			eventTypes: ["hookline.*"],
		});
		await webhook({ name: "All", url: `${env.RECEIVER_URL}/ok/${uniqueTag("all")}`, eventTypes: ["*"] });
		const { id, eventId } = await seedNotification(failing.id, { tenantId });
		expect(await deliver(env, id)).toEqual({ ack: true });

		const [event, ...more] = await operational(env, tenantId);
		expect(more).toEqual([]);
		expect(event?.type).toBe("hookline.notification.failed");
		expect(event?.data).toEqual({
			webhook: { id: failing.id, name: "Ledger" },
			notification: { id, series: 0, trigger: "auto", attempts: 1 },
			event: { id: eventId, type: "loan.created" },
			reason: "attempts_exhausted",
			lastError: "HTTP 500",
			lastErrorKind: "http",
			lastStatusCode: 500,
		});
		// Only the webhook that names hookline.*, not the one it is about, not "*".
		expect(await notificationsOf(env, tenantId, event?.id ?? "")).toEqual([
			{ webhook_id: alerts.id, status: expect.any(String) },
		]);
		const [arrived] = await arrivedAt(alertsTag, 1);
		expect(arrived).toMatchObject({ id: event?.id, type: "hookline.notification.failed", data: event?.data });

		// The message again (a redelivery after the commit): nothing more.
		expect(await deliver(env, id)).toEqual({ ack: true });
		expect(await operational(env, tenantId)).toHaveLength(1);
	});

	it("says not_retryable for a failure no retry could mend, and a new series that fails is a new occurrence", async () => {
		const { tenantId, env, base, webhook } = await setUp();
		const hook = await webhook({ url: `${env.RECEIVER_URL}/ok/${uniqueTag("blocked")}`, eventTypes: ["loan.*"] });
		const { id } = await seedNotification(hook.id, { tenantId });
		// A URL that the target policy refuses fails at once: the webhook's URL as sent now.
		await env.DB.prepare("UPDATE webhooks SET url = 'ftp://example.com/x' WHERE id = ?").bind(hook.id).run();
		await deliver(env, id);
		const [first] = await operational(env, tenantId);
		expect(first?.data).toMatchObject({ reason: "not_retryable", lastErrorKind: "blocked", lastStatusCode: null });
		// A manual re-send starts series 1; its failure is told again, once.
		expect((await api(`${base}/notifications/${id}/resend`, { method: "POST" })).status).toBe(202);
		await eventually(async () => ((await operational(env, tenantId)).length === 2 ? true : undefined));
		const events = await operational(env, tenantId);
		expect(events.map((e) => (e.data.notification as { series: number }).series)).toEqual([0, 1]);
		expect(events[1]?.data.notification).toMatchObject({ trigger: "manual" });
	});

	it("is written once when the same final attempt is recorded twice (a replay to a second consumer)", async () => {
		const { tenantId, env, webhook } = await setUp();
		const hook = await failingHook(webhook, env, uniqueTag("twice"));
		const { n, webhookRow, attempt } = await lastFailedAttempt(env, tenantId, hook.id);
		// Both consumers planned the record before either wrote it.
		const first = await record(env, n, webhookRow, attempt, { storeRequest: true });
		const second = await record(env, n, webhookRow, attempt, { storeRequest: true });
		await env.DB.batch(first.writes);
		await env.DB.batch(second.writes);
		const events = await operational(env, tenantId);
		expect(events).toHaveLength(1);
		expect(events[0]?.data).toMatchObject({ lastStatusCode: 503, reason: "attempts_exhausted" });
	});

	it("is not told for a notification its webhook's deletion ended, when the attempt in flight records late", async () => {
		const { tenantId, env, webhook } = await setUp();
		const hook = await failingHook(webhook, env, uniqueTag("late"));
		const { id, n, webhookRow, attempt } = await lastFailedAttempt(env, tenantId, hook.id);
		// As deleting the webhook (or its tenant) ends what is open: failed, its attempts not counted up.
		await env.DB.prepare("UPDATE notifications SET status = 'failed' WHERE id = ?").bind(id).run();
		await env.DB.batch((await record(env, n, webhookRow, attempt, { storeRequest: true })).writes);
		expect(await operational(env, tenantId)).toEqual([]);
	});

	it("keeps its data as JSON text, never packed, however long, so replay can read whom it is about", async () => {
		const { tenantId, env, webhook } = await setUp();
		const hook = await failingHook(webhook, env, uniqueTag("long"));
		const { n, webhookRow, attempt } = await lastFailedAttempt(env, tenantId, hook.id);
		const long = { ...attempt, outcome: { ...attempt.outcome, error: `HTTP 503 ${"x".repeat(8000)}` } };
		await env.DB.batch((await record(env, n, webhookRow, long, { storeRequest: true })).writes);
		const stored = await env.DB.prepare(
			"SELECT json_valid(data) AS valid, json_extract(data, '$.webhook.id') AS about FROM events WHERE tenant_id = ? AND type = 'hookline.notification.failed'",
		)
			.bind(tenantId)
			.first<{ valid: number; about: string }>();
		expect(stored).toEqual({ valid: 1, about: hook.id });
	});

	it("is written once when the queue hands over the message twice in a batch and again later", async () => {
		const { tenantId, env, webhook } = await setUp();
		const hook = await failingHook(webhook, env, uniqueTag("redelivered"));
		const { id } = await seedNotification(hook.id, { tenantId });
		const message = (n: number) => ({
			id: `msg-${id}-${n}`,
			timestamp: new Date(),
			attempts: n,
			body: { notificationId: id, series: 0, shard: env.SHARD },
		});
		const batch = () => createMessageBatch<DeliveryMessage>("hookline-deliveries", [message(1), message(2)]);
		await handleDeliveries(batch(), env);
		// One of the two found the send in flight and comes back: as often as it takes, nothing more is told.
		await eventually(async () => {
			await handleDeliveries(batch(), env);
			const n = await env.DB.prepare("SELECT status FROM notifications WHERE id = ?")
				.bind(id)
				.first<{ status: string }>();
			return n?.status === "failed" ? true : undefined;
		});
		await handleDeliveries(batch(), env);
		expect(await operational(env, tenantId, "hookline.notification.failed")).toHaveLength(1);
	});

	it("is emitted for a dead-lettered message, once", async () => {
		const { tenantId, env, webhook } = await setUp();
		const hook = await failingHook(webhook, env, uniqueTag("dead"));
		const { id } = await seedNotification(hook.id, { tenantId });
		const deadLetter = () =>
			createMessageBatch<DeliveryMessage>("hookline-deliveries-dlq", [
				{
					id: `dlq-${id}`,
					timestamp: new Date(),
					attempts: 1,
					body: { notificationId: id, series: 0, shard: env.SHARD },
				},
			]);
		await handleDeadLetters(deadLetter(), env);
		await handleDeadLetters(deadLetter(), env);
		const events = await operational(env, tenantId);
		expect(events).toHaveLength(1);
		expect(events[0]?.data).toMatchObject({ reason: "dead_lettered", notification: { id, attempts: 0 } });
	});

	it("a failed notification of an operational event emits nothing further (no loop)", async () => {
		const { tenantId, env, webhook } = await setUp();
		const tagA = uniqueTag("loop-a");
		const tagB = uniqueTag("loop-b");
		// Two alerts webhooks that both fail, and name each other's events.
		const a = await failingHook(webhook, env, tagA);
		const b = await failingHook(webhook, env, tagB);
		const { id } = await seedNotification(a.id, { tenantId });
		await deliver(env, id);
		const [failedA] = await operational(env, tenantId);
		expect(failedA?.data.webhook).toEqual({ id: a.id, name: "Ledger" });
		// b gets the event about a, fails it (no retries), and nothing follows.
		const [toB] = await notificationsOf(env, tenantId, failedA?.id ?? "");
		expect(toB?.webhook_id).toBe(b.id);
		await eventually(async () => {
			const [n] = await notificationsOf(env, tenantId, failedA?.id ?? "");
			return n?.status === "failed" ? true : undefined;
		});
		expect((await received(tagB)).length).toBe(1);
		expect(await operational(env, tenantId)).toHaveLength(1);
		expect(await received(tagA)).toHaveLength(1);
	});
});

/** A send through webhook `webhookId`'s gate on `env`'s shard, whose circuit opens after 3 failures. */
const send = (env: Shard, webhookId: string, url: string, extra: Partial<GateSend> = {}) =>
	gateSend(
		gateOf(webhookId),
		gateInput(newId("ntf"), url, { webhookId, shard: env.SHARD, failureThreshold: 3, ...extra }),
	);

const outboxOf = (stub: DurableObjectStub<EndpointGate>) =>
	runInDurableObject(stub, (_i: EndpointGate, state) => state.storage.sql.exec("SELECT * FROM outbox").toArray());

const probeDueNow = (stub: DurableObjectStub<EndpointGate>) =>
	runInDurableObject(stub, (_i: EndpointGate, state) => {
		state.storage.sql.exec("UPDATE circuit SET next_probe_at = ? WHERE id = 1", Date.now() - 1);
	});

describe("hookline.webhook.circuit_opened and circuit_closed", () => {
	it("tell each turn of the circuit once, with the outage's details; a failed probe is no new turn", async () => {
		const { tenantId, env, webhook } = await setUp();
		const tag = uniqueTag("circuit");
		const alertsTag = uniqueTag("circuit-alerts");
		const hook = await webhook({ name: "Flaky", url: `${env.RECEIVER_URL}/ok/${tag}`, eventTypes: ["hookline.*"] });
		const alerts = await webhook({
			url: `${env.RECEIVER_URL}/ok/${alertsTag}`,
			eventTypes: ["hookline.webhook.circuit_opened", "hookline.webhook.circuit_closed"],
		});
		const stub = gateOf(hook.id);
		for (let i = 0; i < 5; i++) await send(env, hook.id, `${env.RECEIVER_URL}/status/503/${tag}`);
		// Written before the send that opened it answered.
		const [opened, ...rest] = await operational(env, tenantId);
		expect(rest).toEqual([]);
		expect(opened?.type).toBe("hookline.webhook.circuit_opened");
		expect(opened?.data).toMatchObject({
			webhook: { id: hook.id, name: "Flaky" },
			consecutiveFailures: 3,
			lastError: "HTTP 503",
			lastStatusCode: 503,
		});
		expect(Date.parse(String(opened?.data.nextProbeAt))).toBeGreaterThan(Date.parse(String(opened?.data.openedAt)));
		expect(await outboxOf(stub)).toEqual([]);
		// The webhook it is about names hookline.* too, and does not get it.
		expect((await notificationsOf(env, tenantId, opened?.id ?? "")).map((n) => n.webhook_id)).toEqual([alerts.id]);

		// A failed probe reopens it: the same outage, nothing new.
		await probeDueNow(stub);
		expect((await send(env, hook.id, `${env.RECEIVER_URL}/status/503/${tag}`)).kind).toBe("sent");
		expect(await operational(env, tenantId)).toHaveLength(1);
		// A successful probe closes it.
		await probeDueNow(stub);
		expect((await send(env, hook.id, `${env.RECEIVER_URL}/ok/${tag}`)).kind).toBe("sent");
		const events = await operational(env, tenantId);
		expect(events.map((e) => e.type)).toEqual(["hookline.webhook.circuit_opened", "hookline.webhook.circuit_closed"]);
		expect(events[1]?.data).toMatchObject({
			webhook: { id: hook.id, name: "Flaky" },
			openedAt: opened?.data.openedAt,
			// The two sends that came while it was open waited in the gate.
			released: 2,
		});
		// More successes on a closed circuit tell nothing.
		await send(env, hook.id, `${env.RECEIVER_URL}/ok/${tag}`);
		expect(await operational(env, tenantId)).toHaveLength(2);
		const got = await arrivedAt(alertsTag, 2);
		expect(got.map((e) => e.type).sort()).toEqual([
			"hookline.webhook.circuit_closed",
			"hookline.webhook.circuit_opened",
		]);
	});

	it("an event left in the outbox (its write failed) is written by the alarm, once, whatever the retries", async () => {
		const { tenantId, env, webhook } = await setUp();
		const hook = await webhook({ name: "Outboxed", url: `${env.RECEIVER_URL}/ok/${uniqueTag("outbox")}` });
		const stub = gateOf(hook.id);
		await send(env, hook.id, `${env.RECEIVER_URL}/ok/${uniqueTag("outbox")}`);
		const eventId = newId("evt");
		const row = {
			eventId,
			type: "hookline.webhook.circuit_opened",
			data: JSON.stringify({ openedAt: new Date().toISOString(), consecutiveFailures: 3 }),
		};
		const leave = () =>
			runInDurableObject(stub, async (_i: EndpointGate, state) => {
				state.storage.sql.exec(
					"INSERT INTO outbox (event_id, type, data, at, tries, next_try_at) VALUES (?, ?, ?, ?, 1, ?)",
					row.eventId,
					row.type,
					row.data,
					Date.now(),
					Date.now() - 1,
				);
				await state.storage.setAlarm(Date.now());
			});
		await leave();
		expect(await runDurableObjectAlarm(stub)).toBe(true);
		expect(await outboxOf(stub)).toEqual([]);
		// Written, and the write coming again (as after a lost answer) writes nothing.
		await leave();
		expect(await runDurableObjectAlarm(stub)).toBe(true);
		const events = await operational(env, tenantId);
		expect(events).toEqual([
			expect.objectContaining({
				id: eventId,
				type: "hookline.webhook.circuit_opened",
				data: { webhook: { id: hook.id, name: "Outboxed" }, openedAt: expect.any(String), consecutiveFailures: 3 },
			}),
		]);
		expect(await outboxOf(stub)).toEqual([]);
	});

	it("an event about a webhook D1 does not know is dropped from the outbox, written nowhere", async () => {
		const webhookId = `wh_${uniqueTag("unknown")}`;
		const { env } = await setUp();
		for (let i = 0; i < 3; i++) await send(env, webhookId, `${env.RECEIVER_URL}/status/500/${uniqueTag("unknown")}`);
		expect(await outboxOf(gateOf(webhookId))).toEqual([]);
		const { results } = await env.DB.prepare("SELECT id FROM events WHERE data LIKE ?").bind(`%${webhookId}%`).all();
		expect(results).toEqual([]);
	});
});

describe("hookline.webhook.disabled and hookline.webhook.enabled", () => {
	it("a disable through the API and an enable are told once each, with who and why", async () => {
		const { tenantId, env, base, webhook } = await setUp();
		const alertsTag = uniqueTag("state-alerts");
		const hook = await webhook({ name: "Orders", eventTypes: ["hookline.*"] });
		await webhook({ url: `${env.RECEIVER_URL}/ok/${alertsTag}`, eventTypes: ["hookline.webhook.*"] });
		const patch = (enabled: boolean) =>
			api(`${base}/webhooks/${hook.id}`, { method: "PATCH", body: { enabled } }).then((r) => r.status);
		expect(await patch(false)).toBe(200);
		expect(await patch(false)).toBe(200);
		const [disabled, ...none] = await operational(env, tenantId);
		expect(none).toEqual([]);
		expect(disabled).toMatchObject({
			type: "hookline.webhook.disabled",
			data: { webhook: { id: hook.id, name: "Orders" }, reason: "api", detail: "disabled through the API" },
		});
		const enable = () => api(`${base}/webhooks/${hook.id}/enable`, { method: "POST" }).then((r) => r.status);
		expect(await enable()).toBe(200);
		expect(await enable()).toBe(200);
		expect(await patch(true)).toBe(200);
		const events = await operational(env, tenantId);
		expect(events.map((e) => e.type)).toEqual(["hookline.webhook.disabled", "hookline.webhook.enabled"]);
		expect(events[1]?.data).toMatchObject({
			webhook: { id: hook.id, name: "Orders" },
			disabledReason: "disabled through the API",
			disabledAt: disabled?.data.disabledAt,
		});
		// A PATCH that enables counts as much as POST …/enable.
		expect(await patch(false)).toBe(200);
		expect(await patch(true)).toBe(200);
		expect((await operational(env, tenantId)).map((e) => e.type)).toEqual([
			"hookline.webhook.disabled",
			"hookline.webhook.enabled",
			"hookline.webhook.disabled",
			"hookline.webhook.enabled",
		]);
		// Each reached the alerts webhook (prefix "hookline.webhook.*"); none the webhook they are about.
		expect((await arrivedAt(alertsTag, 4)).map((e) => e.data.webhook?.id)).toEqual(Array(4).fill(hook.id));
		const about = await env.DB.prepare("SELECT count(*) AS n FROM notifications WHERE webhook_id = ?")
			.bind(hook.id)
			.first<{ n: number }>();
		expect(about?.n).toBe(0);
	});

	it("a 410 Gone disables with reason gone, and the notification's failure is told too", async () => {
		const { tenantId, env, webhook } = await setUp();
		const hook = await webhook({ name: "Gone", url: `${env.RECEIVER_URL}/status/410/${uniqueTag("gone")}` });
		const { id } = await seedNotification(hook.id, { tenantId });
		await deliver(env, id);
		await deliver(env, id);
		const events = await operational(env, tenantId);
		expect(events.map((e) => e.type).sort()).toEqual(["hookline.notification.failed", "hookline.webhook.disabled"]);
		expect(events.find((e) => e.type === "hookline.webhook.disabled")?.data).toMatchObject({
			reason: "gone",
			detail: expect.stringMatching(/410 Gone/),
		});
		expect(events.find((e) => e.type === "hookline.notification.failed")?.data).toMatchObject({
			reason: "not_retryable",
			lastStatusCode: 410,
		});
	});

	it("the alarm's auto-disable is told once, however often the alarm runs", async () => {
		const { tenantId, env, webhook } = await setUp();
		const tag = uniqueTag("auto");
		const hook = await webhook({ name: "Down", url: `${env.RECEIVER_URL}/ok/${tag}` });
		const stub = gateOf(hook.id);
		for (let i = 0; i < 3; i++) await send(env, hook.id, `${env.RECEIVER_URL}/status/500/${tag}`);
		await runInDurableObject(stub, async (_i: EndpointGate, state) => {
			state.storage.sql.exec("UPDATE circuit SET opened_at = ? WHERE id = 1", Date.now() - 121 * 3_600_000);
			await state.storage.setAlarm(Date.now());
		});
		expect(await runDurableObjectAlarm(stub)).toBe(true);
		// An alarm that ran again (its first run's answer lost) finds the webhook disabled already.
		await runInDurableObject(stub, async (_i: EndpointGate, state) => {
			state.storage.sql.exec("UPDATE circuit SET disabled_at = NULL WHERE id = 1");
			await state.storage.setAlarm(Date.now());
		});
		await runDurableObjectAlarm(stub);
		const disabled = await operational(env, tenantId, "hookline.webhook.disabled");
		expect(disabled).toHaveLength(1);
		expect(disabled[0]?.data).toMatchObject({
			webhook: { id: hook.id, name: "Down" },
			reason: "circuit_open",
			detail: expect.stringMatching(/circuit open for 120 h/),
		});
	});
});

describe("operational events as events of the tenant", () => {
	it("are listed in the history by type, stay in their tenant, and cannot be posted by a client", async () => {
		const { tenantId, env, base, webhook } = await setUp();
		const other = await setUp();
		const otherTag = uniqueTag("other-alerts");
		await other.webhook({ url: `${other.env.RECEIVER_URL}/ok/${otherTag}`, eventTypes: ["hookline.*"] });
		const alerts = await webhook({ url: `${env.RECEIVER_URL}/ok/${uniqueTag("alerts")}`, eventTypes: ["hookline.*"] });
		const hook = await webhook({ name: "Listed" });
		expect((await api(`${base}/webhooks/${hook.id}`, { method: "PATCH", body: { enabled: false } })).status).toBe(200);
		const list = (await (await api(`${base}/notifications?eventType=hookline.webhook.disabled`)).json()) as {
			data: { webhookId: string; eventType: string; eventId: string }[];
		};
		expect(list.data.map((n) => [n.webhookId, n.eventType])).toEqual([[alerts.id, "hookline.webhook.disabled"]]);
		const [event] = await operational(env, tenantId);
		expect(list.data[0]?.eventId).toBe(event?.id);
		// The other tenant hears nothing of it.
		expect(await operational(other.env, other.tenantId)).toEqual([]);
		expect(
			(await (await api(`${other.base}/notifications?eventType=hookline.webhook.disabled`)).json()) as { data: [] },
		).toMatchObject({ data: [] });
		// Posting one is refused, naming the field.
		const res = await api(`${base}/events`, {
			method: "POST",
			body: { type: "hookline.webhook.disabled", data: { webhook: { id: hook.id } } },
		});
		expect(res.status).toBe(400);
		expect(await res.json()).toMatchObject({ errors: [{ path: "type" }] });
		expect(await received(otherTag)).toEqual([]);
	});
});

describe("operational events in the event log", () => {
	it("are read from a subscription's stream in the order they were stored, between the tenant's own events", async () => {
		const t = await streamTenant();
		const hook = await createWebhook({ name: "Orders", eventTypes: ["order.*"] }, { token: t.token, base: t.base });
		const first = await t.ingest("order.created", { n: 1 });
		const patch = (enabled: boolean) =>
			api(`${t.base}/webhooks/${hook.id}`, { method: "PATCH", token: t.token, body: { enabled } }).then(
				(r) => r.status,
			);
		expect(await patch(false)).toBe(200);
		expect(await patch(true)).toBe(200);
		const last = await t.ingest("order.created", { n: 2 });
		const subscription = await t.subscribe(["order.*", "hookline.*"], "begin");
		const stream = lines(await t.open(subscription.id, "batchTimeoutMs=100&streamTimeoutMs=5000"));
		const { events } = await stream.until((so) => so.length >= 4);
		await stream.cancel();
		expect(events.map((e) => e.type)).toEqual([
			"order.created",
			"hookline.webhook.disabled",
			"hookline.webhook.enabled",
			"order.created",
		]);
		expect([events[0]?.id, events[3]?.id]).toEqual([first, last]);
		expect(events[1]?.data).toMatchObject({ webhook: { id: hook.id }, reason: "api" });
	});
});
