import { describe, expect, it } from "vitest";
import { database } from "../../src/db";
import { events, type NotificationStatus, notifications } from "../../src/db/schema";
import { newId } from "../../src/ids";
import { api, createWebhook, defaultShard as env } from "./helpers";

type Page = {
	data: { id: string; webhookId: string; eventType: string; status: string; createdAt: string }[];
	nextCursor: string | null;
};

const list = async (query: string) => {
	const res = await api(`/v1/notifications?${query}`);
	expect(res.status).toBe(200);
	return (await res.json()) as Page;
};

/** Writes history rows directly, with chosen statuses and times. */
const seedHistory = async (webhookId: string, rows: { type: string; status: NotificationStatus; at: number }[]) => {
	const db = database(env);
	const ids: string[] = [];
	for (const row of rows) {
		const eventId = newId("evt", row.at);
		const id = newId("ntf", row.at);
		ids.push(id);
		await db.batch([
			db.insert(events).values({
				id: eventId,
				type: row.type,
				occurredAt: row.at,
				data: "{}",
				receivedAt: row.at,
				notificationCount: 1,
			}),
			db.insert(notifications).values({
				id,
				eventId,
				webhookId,
				eventType: row.type,
				status: row.status,
				createdAt: row.at,
				updatedAt: row.at,
			}),
		]);
	}
	return ids;
};

describe("GET /v1/notifications", () => {
	it("filters by webhook, event type, status and time range, newest first", async () => {
		const hook = await createWebhook();
		const other = await createWebhook();
		const t0 = Date.parse("2026-01-01T00:00:00Z");
		const hour = 3_600_000;
		const ids = await seedHistory(hook.id, [
			{ type: "loan.created", status: "delivered", at: t0 },
			{ type: "loan.created", status: "failed", at: t0 + hour },
			{ type: "loan.paid", status: "failed", at: t0 + 2 * hour },
			{ type: "loan.paid", status: "retrying", at: t0 + 3 * hour },
		]);
		await seedHistory(other.id, [{ type: "loan.created", status: "failed", at: t0 + hour }]);

		const byHook = await list(`webhookId=${hook.id}`);
		expect(byHook.data.map((n) => n.id)).toEqual([...ids].reverse());
		expect((await list(`webhookId=${hook.id}&status=failed`)).data.map((n) => n.id)).toEqual([ids[2], ids[1]]);
		expect((await list(`webhookId=${hook.id}&eventType=loan.created`)).data.map((n) => n.id)).toEqual([ids[1], ids[0]]);
		const ranged = await list(
			`webhookId=${hook.id}&since=${new Date(t0 + hour).toISOString()}&until=${new Date(t0 + 3 * hour).toISOString()}`,
		);
		expect(ranged.data.map((n) => n.id)).toEqual([ids[2], ids[1]]);
		const row = await env.DB.prepare("select event_id e from notifications where id = ?")
			.bind(ids[2])
			.first<{ e: string }>();
		expect((await list(`eventId=${row?.e}`)).data.map((n) => n.id)).toEqual([ids[2]]);
	});

	it("paginates with limit and nextCursor until the end", async () => {
		const hook = await createWebhook();
		const t0 = Date.parse("2026-02-01T00:00:00Z");
		const ids = await seedHistory(
			hook.id,
			Array.from({ length: 5 }, (_, i) => ({ type: "loan.created", status: "delivered" as const, at: t0 + i * 1000 })),
		);
		const seen: string[] = [];
		let cursor: string | null = "";
		for (let pages = 0; cursor !== null && pages < 10; pages++) {
			const pageOf: Page = await list(`webhookId=${hook.id}&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
			seen.push(...pageOf.data.map((n) => n.id));
			cursor = pageOf.nextCursor;
		}
		expect(seen).toEqual([...ids].reverse());
	});

	it.each([
		["status=lost", "query.status"],
		["since=last-week", "query.since"],
		["limit=0", "query.limit"],
	])("refuses %s with a 400 naming %s", async (query, path) => {
		const res = await api(`/v1/notifications?${query}`);
		expect(res.status).toBe(400);
		expect(((await res.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual([path]);
	});

	it("reads one notification with its event, no request before the first send-out, and no attempts", async () => {
		const hook = await createWebhook();
		const [id] = await seedHistory(hook.id, [{ type: "loan.created", status: "pending", at: Date.now() }]);
		const res = await api(`/v1/notifications/${id}`);
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({
			id,
			webhookId: hook.id,
			status: "pending",
			request: null,
			attempts: [],
			event: { type: "loan.created", data: {} },
		});
	});

	it("answers 404 for an unknown notification", async () => {
		const res = await api("/v1/notifications/ntf_01JD0Z4N6V7W8X9Y0Z1A2B3C4D");
		expect(res.status).toBe(404);
		expect(res.headers.get("content-type")).toBe("application/problem+json");
	});
});

describe("POST /v1/notifications/resend with dryRun", () => {
	it("moves nothing and answers the count that the same filter then moves", async () => {
		const hook = await createWebhook();
		const disabled = await createWebhook({ enabled: false });
		const t0 = Date.parse("2026-03-01T00:00:00Z");
		const hour = 3_600_000;
		await seedHistory(hook.id, [
			{ type: "loan.created", status: "failed", at: t0 },
			{ type: "loan.created", status: "failed", at: t0 + hour },
			{ type: "loan.paid", status: "failed", at: t0 + 2 * hour },
			{ type: "loan.created", status: "delivered", at: t0 + 3 * hour },
		]);
		// A disabled webhook's failures are not re-sent, so they are not counted either.
		await seedHistory(disabled.id, [{ type: "loan.created", status: "failed", at: t0 }]);
		const filter = { eventType: "loan.created", since: new Date(t0).toISOString() };
		for (const webhookId of [hook.id, disabled.id]) {
			const dry = await api("/v1/notifications/resend", {
				method: "POST",
				body: { ...filter, webhookId, dryRun: true },
			});
			expect(dry.status).toBe(200);
			const { count } = (await dry.json()) as { count: number };
			expect(count).toBe(webhookId === hook.id ? 2 : 0);
			expect((await list(`webhookId=${webhookId}&status=failed`)).data).toHaveLength(webhookId === hook.id ? 3 : 1);
			const moved = await api("/v1/notifications/resend", { method: "POST", body: { ...filter, webhookId } });
			expect(moved.status).toBe(202);
			expect(await moved.json()).toEqual({ count });
		}
	});
});
