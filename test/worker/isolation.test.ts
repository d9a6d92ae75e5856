// One tenant never reaches, learns of or changes another's data: tenants A and
// B, each with a key of every scope, a webhook and history; B's key tries
// every tenant route against A, and A's data is checked unchanged at the end.

import { beforeAll, describe, expect, it } from "vitest";
import { streamCursor } from "../../src/stream/cursor";
import {
	api,
	createKey,
	createTenant,
	createWebhook,
	defaultShard as env,
	eventually,
	readEveryShard,
	received,
	seedNotification,
	uniqueTag,
} from "./helpers";
import { lines } from "./stream-support";

type Side = {
	tenant: string;
	token: string;
	hook: string;
	tag: string;
	/** Delivered through the pipeline: the event with the shared id. */
	delivered: string;
	/** Seeded `failed`, so a bulk re-send would find it. */
	failed: { id: string; eventId: string };
	/** A stream subscription to every event. */
	sub: string;
};
type Notification = { id: string; webhookId: string; eventId: string; status: string; updatedAt: string };

const type = uniqueTag("isolation.event");
/** The event id and Idempotency-Key A used, which B uses too. */
const sharedId = uniqueTag("order");
const sharedKey = uniqueTag("idem");
const started = new Date().toISOString();

let A: Side;
let B: Side;
let snapshot: { hook: unknown; secrets: unknown; notifications: Notification[]; sub: unknown };

const json = async <T>(res: Response, status = 200) => {
	expect(res.status).toBe(status);
	return (await res.json()) as T;
};

const notificationsOf = async (token: string, base: string, query = "") =>
	(await json<{ data: Notification[] }>(await api(`${base}/notifications?limit=200&${query}`, { token }))).data;

const secretsOf = async (hookId: string) =>
	(
		await readEveryShard(
			"select secret_sealed, previous_secret_sealed, enabled, deleted_at, tenant_id from webhooks where id = ?",
			hookId,
		)
	)[0];

const side = async (label: string): Promise<Side> => {
	const tenant = (await createTenant()).id;
	const { token } = await createKey({ tenantId: tenant });
	const tag = uniqueTag(label);
	// Unprefixed, with the tenant's key: the webhook lands in that key's tenant.
	const hook = await createWebhook({ eventTypes: [type], url: `${env.RECEIVER_URL}/ok/${tag}` }, { token });
	const failed = await seedNotification(hook.id, { status: "failed", tenantId: tenant });
	const sub = await api("/v1/subscriptions", {
		method: "POST",
		token,
		body: { name: "all", eventTypes: ["*"], startFrom: "begin" },
	});
	return {
		tenant,
		token,
		hook: hook.id,
		tag,
		delivered: "",
		failed,
		sub: ((await json(sub, 201)) as { id: string }).id,
	};
};

beforeAll(async () => {
	A = await side("tenant-a");
	B = await side("tenant-b");
	const ingest = await api(`/v1/tenants/${A.tenant}/events`, {
		method: "POST",
		token: A.token,
		headers: { "idempotency-key": sharedKey },
		body: { id: sharedId, type, data: { amount: 1 } },
	});
	expect(await json(ingest, 202)).toEqual({ id: sharedId, type, notifications: 1 });
	A.delivered = await eventually(async () => {
		const [n] = await notificationsOf(A.token, "/v1", `eventId=${sharedId}`);
		return n?.status === "delivered" ? n.id : undefined;
	});
	snapshot = {
		hook: await json(await api(`/v1/webhooks/${A.hook}`, { token: A.token })),
		secrets: await secretsOf(A.hook),
		notifications: await notificationsOf(A.token, `/v1/tenants/${A.tenant}`),
		sub: await json(await api(`/v1/subscriptions/${A.sub}`, { token: A.token })),
	};
	expect(snapshot.notifications.map((n) => n.id).sort()).toEqual([A.delivered, A.failed.id].sort());
});

type Route = {
	method: string;
	path: string;
	body?: (s: Side) => unknown;
	/** Whether the route names one of A's objects (then B answers 404 for it under its own paths). */
	namesA?: boolean;
};

const routes: Route[] = [
	{ method: "POST", path: "events", body: () => ({ type, data: {} }) },
	{ method: "POST", path: "webhooks", body: () => ({ name: "h", eventTypes: ["*"], url: "https://example.com/h" }) },
	{ method: "GET", path: "webhooks" },
	{ method: "GET", path: "webhooks/:hook", namesA: true },
	{ method: "PATCH", path: "webhooks/:hook", body: () => ({ name: "taken over", enabled: false }), namesA: true },
	{ method: "DELETE", path: "webhooks/:hook", namesA: true },
	{ method: "POST", path: "webhooks/:hook/rotate-secret", body: () => ({}), namesA: true },
	{ method: "POST", path: "webhooks/:hook/test", namesA: true },
	{ method: "POST", path: "webhooks/preview", body: (s) => ({ webhookId: s.hook }), namesA: true },
	{ method: "GET", path: "webhooks/:hook/health", namesA: true },
	{ method: "POST", path: "webhooks/:hook/enable", body: () => ({ resendSkipped: true }), namesA: true },
	{ method: "GET", path: "notifications" },
	{ method: "GET", path: "notifications/:ntf", namesA: true },
	{ method: "POST", path: "notifications/:ntf/resend", namesA: true },
	{ method: "POST", path: "notifications/resend", body: (s) => ({ ids: [s.failed.id] }) },
	{ method: "POST", path: "webhooks/:hook/replay", body: () => ({ since: started }), namesA: true },
	{ method: "POST", path: "subscriptions", body: () => ({ name: "s", eventTypes: ["*"] }) },
	{ method: "GET", path: "subscriptions" },
	{ method: "GET", path: "subscriptions/:sub", namesA: true },
	{ method: "DELETE", path: "subscriptions/:sub", namesA: true },
	{ method: "GET", path: "subscriptions/:sub/events?batchTimeoutMs=100&streamTimeoutMs=1000", namesA: true },
	{
		method: "POST",
		path: "subscriptions/:sub/cursors",
		body: (s) => ({ cursor: streamCursor(s.sub, 0) }),
		namesA: true,
	},
];

const fill = (path: string, s: Side) =>
	path.replace(":hook", s.hook).replace(":ntf", s.failed.id).replace(":sub", s.sub);

describe("B's key on each tenant route", () => {
	it.each(routes)("$method {t}/$path: 403 on A's path; A's ids unknown on B's own", async (route) => {
		const call = (base: string, token: string) =>
			api(`${base}/${fill(route.path, A)}`, { method: route.method, token, body: route.body?.(A) });
		const refused = await call(`/v1/tenants/${A.tenant}`, B.token);
		expect(refused.status).toBe(403);
		expect(((await refused.json()) as { detail: string }).detail).toContain(A.tenant);
		if (!route.namesA) return;
		for (const base of [`/v1/tenants/${B.tenant}`, "/v1"]) {
			const res = await call(base, B.token);
			expect(res.status, `${route.method} ${base}/${route.path}`).toBe(404);
		}
		// The same call is no 404 for A itself, so the 404 above is about the tenant.
		if (route.method === "GET") {
			const own = await call("/v1", A.token);
			expect(own.status).toBe(200);
			await own.body?.cancel();
		}
	});

	it("is refused a tenant that does not exist (403, not 404: it learns nothing)", async () => {
		expect((await api(`/v1/tenants/${uniqueTag("nobody")}/webhooks`, { token: B.token })).status).toBe(403);
	});

	it("is refused the operator's routes: reseal, metrics, tenants", async () => {
		expect((await api("/v1/webhooks/reseal", { method: "POST", token: B.token, body: {} })).status).toBe(403);
		expect((await api("/v1/metrics", { token: B.token })).status).toBe(403);
		expect((await api(`/v1/tenants/${A.tenant}`, { token: B.token })).status).toBe(403);
	});
});

describe("B's lists and bulk re-sends", () => {
	it("list B's webhooks only, prefixed and unprefixed", async () => {
		for (const base of [`/v1/tenants/${B.tenant}`, "/v1"]) {
			for (const query of ["", "?health=false"]) {
				const page = await json<{ data: { id: string }[] }>(await api(`${base}/webhooks${query}`, { token: B.token }));
				expect(page.data.map((w) => w.id)).toEqual([B.hook]);
			}
		}
	});

	it("list nothing of A's notifications, whatever the filter", async () => {
		const aIds = new Set([A.delivered, A.failed.id]);
		for (const base of [`/v1/tenants/${B.tenant}`, "/v1"]) {
			for (const query of [
				"",
				`webhookId=${A.hook}`,
				`eventId=${sharedId}`,
				`eventId=${A.failed.eventId}`,
				`eventType=${type}`,
				"eventType=loan.created",
				"status=delivered",
				"status=failed",
				`since=${started}`,
			]) {
				const listed = await notificationsOf(B.token, base, query);
				expect(
					listed.filter((n) => aIds.has(n.id) || n.webhookId === A.hook),
					query,
				).toEqual([]);
			}
			expect(await notificationsOf(B.token, base, `webhookId=${A.hook}`)).toEqual([]);
			expect(await notificationsOf(B.token, base, `eventId=${A.failed.eventId}`)).toEqual([]);
		}
		// B's own seeded history is there: the filters work, they just find nothing of A's.
		expect((await notificationsOf(B.token, "/v1", "status=failed")).map((n) => n.id)).toEqual([B.failed.id]);
	});

	it("count and re-send nothing of A's in a bulk re-send", async () => {
		const filters = [
			{ webhookId: A.hook },
			{ ids: [A.failed.id] },
			{ ids: [A.delivered], status: "delivered" },
			{ webhookId: A.hook, eventType: "loan.created", since: started },
		];
		for (const base of [`/v1/tenants/${B.tenant}`, "/v1"]) {
			for (const filter of filters) {
				const bulk = (dryRun: boolean) =>
					api(`${base}/notifications/resend`, { method: "POST", token: B.token, body: { ...filter, dryRun } });
				expect(await json(await bulk(true), 200), JSON.stringify(filter)).toEqual({ count: 0 });
				expect(await json(await bulk(false), 202), JSON.stringify(filter)).toEqual({ count: 0 });
			}
		}
		// The same filters do match for A, and B's own failed notification for B.
		const dry = (token: string, body: unknown) =>
			api("/v1/notifications/resend", { method: "POST", token, body: { ...(body as object), dryRun: true } });
		expect(await json(await dry(A.token, { ids: [A.failed.id] }))).toEqual({ count: 1 });
		expect(await json(await dry(B.token, {}))).toEqual({ count: 1 });
	});
});

describe("B's subscriptions and stream", () => {
	it("list B's subscriptions only, and stream and count B's events, never A's", async () => {
		for (const base of [`/v1/tenants/${B.tenant}`, "/v1"]) {
			const page = await json<{ data: { id: string }[] }>(await api(`${base}/subscriptions`, { token: B.token }));
			expect(page.data.map((s) => s.id)).toEqual([B.sub]);
		}
		// A type no webhook of A's or B's matches: the deliveries the tests below count stay as they are.
		const streamed = uniqueTag("isolation.streamed");
		const mark = uniqueTag("owner");
		const aEvent = await json<{ id: string }>(
			await api("/v1/events", { method: "POST", token: A.token, body: { type: streamed, data: { mark, owner: "A" } } }),
			202,
		);
		const bEvent = await json<{ id: string }>(
			await api("/v1/events", { method: "POST", token: B.token, body: { type: streamed, data: { mark, owner: "B" } } }),
			202,
		);
		const bLog = await readEveryShard<{ n: number }>(
			"select count(*) n from events where tenant_id = ? and seq is not null",
			B.tenant,
		);
		const detail = await json<{ waiting: number }>(await api(`/v1/subscriptions/${B.sub}`, { token: B.token }));
		expect(detail.waiting).toBe(bLog.reduce((sum, r) => sum + r.n, 0));
		const stream = lines(
			await api(`/v1/subscriptions/${B.sub}/events?batchTimeoutMs=100&streamTimeoutMs=1500`, { token: B.token }),
		);
		const seen = (await stream.rest()).flatMap((batch) => batch.events);
		expect(seen.map((e) => e.id)).toContain(bEvent.id);
		expect(seen.filter((e) => e.data.owner === "A" || e.id === aEvent.id)).toEqual([]);
		expect(seen).toHaveLength(detail.waiting);
	});
});

describe("B's ingest with A's event id and Idempotency-Key", () => {
	it("creates B's own events, delivered to B's webhook and never to A's", async () => {
		const byId = () =>
			api(`/v1/tenants/${B.tenant}/events`, { method: "POST", token: B.token, body: { id: sharedId, type, data: {} } });
		expect(await json(await byId(), 202)).toEqual({ id: sharedId, type, notifications: 1 });
		expect(await json(await byId(), 200)).toEqual({ id: sharedId, type, notifications: 1 });
		const byKey = () =>
			api("/v1/events", {
				method: "POST",
				token: B.token,
				headers: { "idempotency-key": sharedKey },
				body: { type, data: {} },
			});
		const first = await json<{ id: string; notifications: number }>(await byKey(), 202);
		expect(first.id).not.toBe(sharedId);
		expect(first.notifications).toBe(1);
		expect(await json(await byKey(), 200)).toEqual(first);

		const tenants = await readEveryShard<{ t: string }>("select tenant_id t from events where id = ?", sharedId);
		expect(tenants.map((r) => r.t).sort()).toEqual([A.tenant, B.tenant].sort());
		const mine = await eventually(async () => {
			const got = await notificationsOf(B.token, "/v1", `webhookId=${B.hook}&status=delivered`);
			return got.length === 2 ? got : undefined;
		});
		expect(mine.map((n) => n.eventId).sort()).toEqual([first.id, sharedId].sort());
		expect(await received(B.tag)).toHaveLength(2);
		expect(await received(A.tag)).toHaveLength(1);
		expect((await notificationsOf(A.token, "/v1", `eventId=${sharedId}`)).map((n) => n.id)).toEqual([A.delivered]);
	});
});

describe("the operator", () => {
	it("sees A's data under A's path and B's under B's", async () => {
		for (const s of [A, B]) {
			const base = `/v1/tenants/${s.tenant}`;
			const hooks = await json<{ data: { id: string }[] }>(await api(`${base}/webhooks`));
			expect(hooks.data.map((w) => w.id)).toEqual([s.hook]);
			expect((await api(`${base}/webhooks/${s.hook}`)).status).toBe(200);
			expect((await api(`${base}/notifications/${s.failed.id}`)).status).toBe(200);
			expect((await notificationsOf("Bearer test-admin-token", base, `webhookId=${s.hook}`)).length).toBeGreaterThan(0);
		}
		expect((await api(`/v1/tenants/${B.tenant}/webhooks/${A.hook}`)).status).toBe(404);
		expect((await api(`/v1/tenants/${B.tenant}/notifications/${A.delivered}`)).status).toBe(404);
		// Unprefixed, an operator secret acts for `default`: neither tenant's objects are there.
		expect((await api(`/v1/webhooks/${A.hook}`)).status).toBe(404);
		expect((await api(`/v1/notifications/${B.failed.id}`)).status).toBe(404);
		expect(await notificationsOf("Bearer test-admin-token", "/v1", `webhookId=${A.hook}`)).toEqual([]);
	});
});

describe("after all of B's tries", () => {
	it("leaves A's webhook, secrets and notifications as they were", async () => {
		expect(await json(await api(`/v1/webhooks/${A.hook}`, { token: A.token }))).toEqual(snapshot.hook);
		expect(await secretsOf(A.hook)).toEqual(snapshot.secrets);
		expect(await notificationsOf(A.token, `/v1/tenants/${A.tenant}`)).toEqual(snapshot.notifications);
		expect(await json(await api(`/v1/subscriptions/${A.sub}`, { token: A.token }))).toMatchObject({
			...(snapshot.sub as object),
			waiting: expect.any(Number),
			live: false,
		});
		const hooks = await json<{ data: { id: string }[] }>(await api("/v1/webhooks", { token: A.token }));
		expect(hooks.data.map((w) => w.id)).toEqual([A.hook]);
		const attempts = await readEveryShard<{ n: number }>(
			"select count(*) n from attempts where notification_id = ?",
			A.failed.id,
		);
		expect(attempts.map((a) => a.n)).toEqual([0, 0]);
		expect(await received(A.tag)).toHaveLength(1);
	});
});
