// Replay to a webhook: past events of a window that match it and that it
// never had, delivered like new ones; idempotent; at most 10,000 a call with
// `more` saying whether the window holds more; bad input named by field.
import { describe, expect, it } from "vitest";
import { replayToWebhook } from "../../src/events/replay";
import { findWebhook } from "../../src/webhooks/service";
import { api, createWebhook, eventually, historyOf, received, uniqueTag } from "./helpers";
import { streamTenant } from "./stream-support";

const replay = (t: { base: string; token: string }, hook: string, body: unknown) =>
	api(`${t.base}/webhooks/${hook}/replay`, { method: "POST", token: t.token, body });

const notificationsOf = async (t: { base: string; token: string }, hook: string) => {
	const res = await api(`${t.base}/notifications?limit=200&webhookId=${hook}`, { token: t.token });
	return ((await res.json()) as { data: { eventId: string; status: string }[] }).data;
};

describe("replay", () => {
	it("delivers past matching events the webhook never had, once, within the window and the types", async () => {
		const t = await streamTenant();
		const since = new Date(Date.now() - 1000).toISOString();
		const e1 = await t.ingest("loan.created", { n: 1 });
		await t.ingest("card.issued", { n: 2 });
		const e3 = await t.ingest("loan.repaid", { n: 3 });
		const tag = uniqueTag("replay");
		const hook = await createWebhook(
			{ eventTypes: ["loan.*"], url: `${(await historyOf(t.tenant)).RECEIVER_URL}/ok/${tag}` },
			{ token: t.token, base: t.base },
		);
		const e4 = await t.ingest("loan.closed", { n: 4 });

		const first = await replay(t, hook.id, { since });
		expect(first.status).toBe(202);
		expect(await first.json()).toEqual({ count: 2, more: false });
		const bodies = await eventually(async () => {
			const got = await received(tag);
			return got.length === 3 ? got.map((r) => JSON.parse(r.body).id as string) : undefined;
		});
		expect(bodies.sort()).toEqual([e1, e3, e4].sort());
		expect((await notificationsOf(t, hook.id)).map((n) => n.eventId).sort()).toEqual([e1, e3, e4].sort());

		// Again: nothing new.
		expect(await (await replay(t, hook.id, { since })).json()).toEqual({ count: 0, more: false });

		// Another webhook: only the types asked for, only within the window.
		const other = await createWebhook({ eventTypes: ["*"], enabled: true }, { token: t.token, base: t.base });
		const until = new Date(Date.now() + 60_000).toISOString();
		expect(await (await replay(t, other.id, { since, until, eventTypes: ["loan.repaid"] })).json()).toEqual({
			count: 1,
			more: false,
		});
		expect((await notificationsOf(t, other.id)).map((n) => n.eventId)).toEqual([e3]);
		const later = new Date(Date.now() + 1000).toISOString();
		expect(await (await replay(t, other.id, { since: later, until })).json()).toEqual({ count: 0, more: false });
	}, 20_000);

	it("creates at most its limit a call, and says whether the window holds more", async () => {
		const t = await streamTenant();
		const since = Date.now() - 1000;
		for (let i = 0; i < 7; i++) await t.ingest("loan.created", { i });
		const hook = await createWebhook({ eventTypes: ["*"] }, { token: t.token, base: t.base });
		const env = await historyOf(t.tenant);
		const webhook = await findWebhook(env, t.tenant, hook.id);
		const window = { since, until: Date.now() + 1 };
		const call = () => replayToWebhook(env, webhook, window, { limit: 3, round: 2 });
		expect(await call()).toEqual({ count: 3, more: true });
		expect(await call()).toEqual({ count: 3, more: true });
		expect(await call()).toEqual({ count: 1, more: false });
		expect(await call()).toEqual({ count: 0, more: false });
		expect(await notificationsOf(t, hook.id)).toHaveLength(7);
	}, 20_000);

	it("replays 10,000 a call by default, enqueued in sendBatch calls of at most 100", async () => {
		const t = await streamTenant();
		const env = await historyOf(t.tenant);
		const at = Date.now() - 60_000;
		// 10,050 events written at once, numbered in the log as ingest would.
		await env.DB.batch([
			env.DB.prepare(
				`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10050)
				 INSERT INTO events (tenant_id, id, type, occurred_at, data, received_at, notification_count, seq)
				 SELECT ?1, 'evt_bulk_' || i, 'loan.created', ?2, '{}', ?2 + i, 0, i FROM n`,
			).bind(t.tenant, at),
			env.DB.prepare("INSERT INTO event_log_heads (tenant_id, last_seq) VALUES (?, 10050)").bind(t.tenant),
		]);
		const hook = await createWebhook({ eventTypes: ["loan.*"] }, { token: t.token, base: t.base });
		const webhook = await findWebhook(env, t.tenant, hook.id);
		// A queue that records what it is given, instead of 10,050 deliveries to the receiver.
		const calls: number[] = [];
		const ids = new Set<string>();
		const recording = {
			sendBatch: async (messages: { body: { fanOut?: string[]; notificationId?: string } }[]) => {
				calls.push(messages.length);
				for (const { body } of messages) for (const id of body.fanOut ?? [body.notificationId]) ids.add(String(id));
			},
		} as unknown as Queue;
		const window = { since: at, until: Date.now() };
		const first = await replayToWebhook({ ...env, DELIVERIES: recording }, webhook, window);
		expect(first).toEqual({ count: 10_000, more: true });
		expect(ids.size).toBe(10_000);
		expect(Math.max(...calls)).toBeLessThanOrEqual(100);
		const second = await replayToWebhook({ ...env, DELIVERIES: recording }, webhook, window);
		expect(second).toEqual({ count: 50, more: false });
		expect(ids.size).toBe(10_050);
		const stored = await env.DB.prepare(
			"select count(*) n, count(distinct event_id) e from notifications where tenant_id = ? and webhook_id = ?",
		)
			.bind(t.tenant, hook.id)
			.first<{ n: number; e: number }>();
		expect(stored).toEqual({ n: 10_050, e: 10_050 });
		// Nothing is left for the sweeper of other tests to send.
		await env.DB.prepare("delete from notifications where webhook_id = ?").bind(hook.id).run();
	}, 60_000);

	it("refuses bad input by field, a disabled webhook (409) and an unknown one (404)", async () => {
		const t = await streamTenant();
		const hook = await createWebhook({ eventTypes: ["*"] }, { token: t.token, base: t.base });
		const since = new Date().toISOString();
		const fields = async (body: unknown) => {
			const res = await replay(t, hook.id, body);
			expect(res.status).toBe(400);
			expect(res.headers.get("content-type")).toBe("application/problem+json");
			return ((await res.json()) as { errors: { path: string }[] }).errors.map((e) => e.path);
		};
		expect(await fields({})).toEqual(["since"]);
		expect(await fields({ since: "yesterday" })).toEqual(["since"]);
		expect(await fields({ since, until: since })).toEqual(["until"]);
		expect(await fields({ since, eventTypes: ["no spaces"] })).toEqual(["eventTypes.0"]);
		expect(await fields({ since, extra: 1 })).toEqual(["(body)"]);
		expect((await replay(t, `wh_${"0".repeat(26)}`, { since })).status).toBe(404);
		await api(`${t.base}/webhooks/${hook.id}`, { method: "PATCH", token: t.token, body: { enabled: false } });
		expect((await replay(t, hook.id, { since })).status).toBe(409);
	});
});

describe("replay of operational events", () => {
	it("never gives a webhook an operational event about itself, only those about others", async () => {
		const t = await streamTenant();
		const since = new Date(Date.now() - 1000).toISOString();
		const alerts = await createWebhook(
			{ name: "Alerts", eventTypes: ["hookline.*"] },
			{ token: t.token, base: t.base },
		);
		const other = await createWebhook({ name: "Other", eventTypes: ["order.*"] }, { token: t.token, base: t.base });
		const toggle = async (id: string) => {
			for (const enabled of [false, true]) {
				const res = await api(`${t.base}/webhooks/${id}`, { method: "PATCH", token: t.token, body: { enabled } });
				expect(res.status).toBe(200);
			}
		};
		await toggle(alerts.id);
		await toggle(other.id);
		// The alerts webhook heard of the other's disable and enable when they happened; drop that so replay has work.
		const env = await historyOf(t.tenant);
		await env.DB.prepare("DELETE FROM notifications WHERE tenant_id = ? AND webhook_id = ?")
			.bind(t.tenant, alerts.id)
			.run();
		expect(await (await replay(t, alerts.id, { since })).json()).toEqual({ count: 2, more: false });
		const { results } = await env.DB.prepare(
			"SELECT e.data FROM notifications n JOIN events e ON e.tenant_id = n.tenant_id AND e.id = n.event_id WHERE n.tenant_id = ? AND n.webhook_id = ?",
		)
			.bind(t.tenant, alerts.id)
			.all<{ data: string }>();
		expect(results.map((r) => JSON.parse(r.data).webhook.id)).toEqual([other.id, other.id]);
	}, 20_000);
});
