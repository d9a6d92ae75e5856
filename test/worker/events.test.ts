import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { MAX_DATA_DEPTH } from "../../src/events/schema";
import { api, createWebhook, defaultShard as env, eventually, INGEST, received, uniqueTag } from "./helpers";

const uniqueType = (label: string) => `${label}${crypto.randomUUID().slice(0, 8)}.created`;

type Listed = { data: { id: string; webhookId: string; status: string }[] };

const eventsOfType = async (type: string) =>
	(await env.DB.prepare("select count(*) n from events where type = ?").bind(type).first<{ n: number }>())?.n;

/** Posts an empty event of `type` with an Idempotency-Key header. */
const postWithKey = (type: string, key: string) =>
	api("/v1/events", { method: "POST", token: INGEST, body: { type, data: {} }, headers: { "idempotency-key": key } });

const notificationsOf = async (eventId: string) =>
	((await (await api(`/v1/notifications?eventId=${eventId}`)).json()) as Listed).data;

describe("POST /v1/events", () => {
	it("stores one notification per matching webhook: exact, prefix and *; skipped for a disabled one", async () => {
		const type = uniqueType("fan");
		const [prefix] = type.split(".");
		const exact = await createWebhook({ eventTypes: [type] });
		const byPrefix = await createWebhook({ eventTypes: [`${prefix}.*`] });
		const all = await createWebhook({ eventTypes: ["*"] });
		const other = await createWebhook({ eventTypes: [`${prefix}.deleted`, "elsewhere.*"] });
		const disabled = await createWebhook({ eventTypes: [type], enabled: false });

		const res = await api("/v1/events", { method: "POST", token: INGEST, body: { type, data: { n: 1 } } });
		expect(res.status).toBe(202);
		const body = (await res.json()) as { id: string; type: string; notifications: number };
		expect(body.id).toMatch(/^evt_/);
		expect(body.type).toBe(type);
		const stored = await notificationsOf(body.id);
		const hooks = stored.map((n) => n.webhookId);
		expect(hooks).toEqual(expect.arrayContaining([exact.id, byPrefix.id, all.id, disabled.id]));
		expect(hooks).not.toContain(other.id);
		expect(body.notifications).toBe(hooks.length);
		// A disabled webhook's notification is kept, skipped, for a re-send once it is enabled again.
		for (const n of stored) expect(n.status === "skipped").toBe(n.webhookId === disabled.id);
		// The catch-all would match every later test's events.
		expect((await api(`/v1/webhooks/${all.id}`, { method: "DELETE" })).status).toBe(204);
	});

	it("matches a prefix only at a dot boundary", async () => {
		const type = uniqueType("edge");
		const [prefix] = type.split(".");
		const hook = await createWebhook({ eventTypes: [`${prefix}.*`] });
		const count = async (t: string) => {
			const res = await api("/v1/events", { method: "POST", token: INGEST, body: { type: t, data: {} } });
			const { id } = (await res.json()) as { id: string };
			return (await notificationsOf(id)).filter((n) => n.webhookId === hook.id).length;
		};
		expect(await count(`${prefix}.a.b`)).toBe(1);
		expect(await count(`${prefix}s.created`)).toBe(0);
		expect(await count(`${prefix}`)).toBe(0);
	});

	it("delivers through the queue to the receiver, once, signed and with the idempotency key", async () => {
		const tag = uniqueTag("deliver");
		const type = uniqueType("deliver");
		const hook = await createWebhook({
			eventTypes: [type],
			url: `${env.RECEIVER_URL}/ok/${tag}`,
			auth: { type: "basic", username: "acme", password: "pw" },
		});
		const res = await api("/v1/events", { method: "POST", token: INGEST, body: { type, data: { q: 'a"b' } } });
		const { id: eventId } = (await res.json()) as { id: string };
		const [notification] = await notificationsOf(eventId);
		const got = await eventually(async () => {
			const r = await received(tag);
			return r.length > 0 ? r : undefined;
		});
		await eventually(async () => ((await notificationsOf(eventId))[0]?.status === "delivered" ? true : undefined));
		expect(got).toHaveLength(1);
		const request = got[0] as (typeof got)[number];
		expect(request.headers["x-notifications-idempotency-key"]).toBe(notification?.id);
		expect(request.headers["user-agent"]).toMatch(/^Hookline\//);
		expect(request.headers.authorization).toBe(`Basic ${btoa("acme:pw")}`);
		expect(JSON.parse(request.body)).toMatchObject({ id: eventId, type, data: { q: 'a"b' } });
		const verified = new Webhook(hook.secret).verify(request.body, request.headers);
		expect(verified).toMatchObject({ id: eventId });
	});

	it("answers a repeat with the same Idempotency-Key with the first answer and creates nothing", async () => {
		const type = uniqueType("idem");
		await createWebhook({ eventTypes: [type] });
		const key = crypto.randomUUID();
		const send = () => postWithKey(type, key);
		const first = await send();
		expect(first.status).toBe(202);
		const again = await send();
		expect(again.status).toBe(200);
		expect(await again.json()).toEqual(await first.json());
		expect(await eventsOfType(type)).toBe(1);
	});

	it("accepts a key again once retention purged its event", async () => {
		const type = uniqueType("purged");
		const key = crypto.randomUUID();
		const send = () => postWithKey(type, key);
		const first = (await (await send()).json()) as { id: string };
		await env.DB.prepare("delete from events where id = ?").bind(first.id).run();
		const again = await send();
		expect(again.status).toBe(202);
		expect(((await again.json()) as { id: string }).id).not.toBe(first.id);
	});

	it("treats the body id as the idempotency key, also under concurrent repeats", async () => {
		const type = uniqueType("race");
		await createWebhook({ eventTypes: [type] });
		const id = `order-${crypto.randomUUID()}`;
		const answers = await Promise.all(
			Array.from({ length: 5 }, () =>
				api("/v1/events", { method: "POST", token: INGEST, body: { id, type, data: {} } }),
			),
		);
		expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 202]);
		for (const r of answers) expect(await r.json()).toEqual({ id, type, notifications: 1 });
		const rows = await env.DB.prepare("select count(*) n from notifications where event_id = ?")
			.bind(id)
			.first<{ n: number }>();
		expect(rows?.n).toBe(1);
	});

	it("writes concurrent ingests together, and a repeat in the group changes no one else's answer", async () => {
		const type = uniqueType("group");
		await createWebhook({ eventTypes: [type] });
		const repeated = `order-${crypto.randomUUID()}`;
		const metrics = async () => (await (await api("/v1/metrics")).json()) as Record<string, number>;
		const before = await metrics();
		const bodies = Array.from({ length: 40 }, (_, i) =>
			i % 8 === 0 ? { id: repeated, type, data: { i } } : { id: `${repeated}-${i}`, type, data: { i } },
		);
		const answers = await Promise.all(bodies.map((body) => api("/v1/events", { method: "POST", token: INGEST, body })));
		const after = await metrics();
		// 35 distinct ids and 5 copies of one: 36 events stored, the copies answered 200 but one.
		expect(answers.filter((r) => r.status === 202)).toHaveLength(36);
		expect(answers.filter((r) => r.status === 200)).toHaveLength(4);
		for (const [i, r] of answers.entries())
			expect(await r.json()).toEqual({ id: bodies[i]?.id, type, notifications: 1 });
		expect(await eventsOfType(type)).toBe(36);
		const rows = await env.DB.prepare(
			"select count(*) n, count(distinct event_id) e from notifications where event_type = ?",
		)
			.bind(type)
			.first<{ n: number; e: number }>();
		expect(rows).toEqual({ n: 36, e: 36 });
		// Some rounds carried more than one ingest.
		const rounds = (after.d1IngestRounds ?? 0) - (before.d1IngestRounds ?? 0);
		const grouped = (after.d1GroupedIngests ?? 0) - (before.d1GroupedIngests ?? 0);
		expect(grouped).toBeGreaterThan(rounds);
	});

	it.each([
		[{ data: {} }, "type"],
		[{ type: "bad type!", data: {} }, "type"],
		[{ type: "a.b" }, "data"],
		[{ type: "a.b", data: [1, 2] }, "data"],
		[{ type: "a.b", data: {}, occurredAt: "yesterday" }, "occurredAt"],
		[{ type: "a.b", data: {}, id: "has spaces" }, "id"],
		[{ type: "a.b", data: {}, extra: 1 }, "(body)"],
	])("refuses %j with a 400 naming %s", async (body, path) => {
		const res = await api("/v1/events", { method: "POST", token: INGEST, body });
		expect(res.status).toBe(400);
		const problem = (await res.json()) as { errors: { path: string }[] };
		expect(problem.errors.map((e) => e.path)).toContain(path);
	});

	it("refuses a bad Idempotency-Key header with a 400", async () => {
		const res = await api("/v1/events", {
			method: "POST",
			token: INGEST,
			body: { type: "a.b", data: {} },
			headers: { "idempotency-key": "x".repeat(300) },
		});
		expect(res.status).toBe(400);
		expect(((await res.json()) as { errors: { path: string }[] }).errors[0]?.path).toBe("header.idempotency-key");
	});

	it("answers 413 to a body over 256 KiB and stores nothing", async () => {
		const type = uniqueType("big");
		const res = await api("/v1/events", {
			method: "POST",
			token: INGEST,
			body: { type, data: { blob: "x".repeat(300 * 1024) } },
		});
		expect(res.status).toBe(413);
		expect(res.headers.get("content-type")).toBe("application/problem+json");
		expect(await eventsOfType(type)).toBe(0);
	});

	it("refuses data nested deeper than 32 levels with a 400 naming data, even 100,000 levels of [", async () => {
		const type = uniqueType("deep");
		/** `data` whose `x` holds `levels` arrays, one inside the next: data is nested levels + 1 deep. */
		const nested = (levels: number) => `{"type":"${type}","data":{"x":${"[".repeat(levels)}${"]".repeat(levels)}}}`;
		const post = (body: string) => api("/v1/events", { method: "POST", token: INGEST, body });
		expect((await post(nested(MAX_DATA_DEPTH - 1))).status).toBe(202);
		for (const levels of [MAX_DATA_DEPTH, 100_000]) {
			const res = await post(nested(levels));
			expect(res.status).toBe(400);
			expect(res.headers.get("content-type")).toBe("application/problem+json");
			const problem = (await res.json()) as { errors: { path: string; message: string }[] };
			expect(problem.errors).toEqual([{ path: "data", message: `must not nest deeper than ${MAX_DATA_DEPTH} levels` }]);
		}
		expect(await eventsOfType(type)).toBe(1);
		// The preview's sample event is held to the same bound.
		const preview = await api("/v1/webhooks/preview", {
			method: "POST",
			body: `{"webhook":{"url":"https://example.com/x"},"event":{"data":{"x":${"[".repeat(100_000)}${"]".repeat(100_000)}}}}`,
		});
		expect(preview.status).toBe(400);
		expect(((await preview.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual([
			"event.data",
		]);
	});

	it("fans one event out to more webhooks than one insert statement holds", async () => {
		const type = uniqueType("wide");
		const hooks = [];
		for (let i = 0; i < 30; i++)
			hooks.push(await createWebhook({ eventTypes: [type], url: `${env.RECEIVER_URL}/ok/${uniqueTag("wide")}` }));
		const res = await api("/v1/events", { method: "POST", token: INGEST, body: { type, data: {} } });
		const body = (await res.json()) as { id: string; notifications: number };
		expect(body.notifications).toBe(30);
		expect(new Set((await notificationsOf(body.id)).map((n) => n.webhookId))).toEqual(new Set(hooks.map((h) => h.id)));
	});
});
