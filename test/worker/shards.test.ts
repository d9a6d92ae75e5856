// Tenants on two history shards: placement, a delivery on each shard, the
// sweeper and resealing across both, and messages from before shards.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env as worker } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { catalog } from "../../src/db";
import { shardEnv } from "../../src/db/shards";
import { handleDeliveries } from "../../src/delivery/consumer";
import { sweepShard } from "../../src/history/sweeper";
import type { DeliveryMessage } from "../../src/queue/messages";
import {
	ADMIN,
	api,
	createKey,
	createTenant,
	createWebhook,
	eventually,
	historyOf,
	readEveryShard,
	received,
	seedNotification,
	uniqueTag,
} from "./helpers";

const shardOf = async (tenantId: string) =>
	(await catalog(worker).query.tenants.findFirst({ where: (t, { eq }) => eq(t.id, tenantId) }))?.shard;

/** How many live tenants each shard holds now. */
const tenantsPerShard = async () => {
	const rows = await worker.CATALOG.prepare(
		"select shard, count(*) n from tenants where deleted_at is null group by shard",
	).all<{ shard: string; n: number }>();
	return Object.fromEntries(rows.results.map((r) => [r.shard, r.n]));
};

describe("placement", () => {
	it("puts a new tenant on the shard with the fewest tenants, so tenants spread over both", async () => {
		const before = await tenantsPerShard();
		const fewer = (before.SHARD_A ?? 0) <= (before.SHARD_B ?? 0) ? "SHARD_A" : "SHARD_B";
		const tenant = await createTenant();
		expect(await shardOf(tenant.id)).toBe(fewer);
		const placed = [];
		for (let i = 0; i < 4; i++) placed.push(await shardOf((await createTenant()).id));
		expect(new Set(placed)).toEqual(new Set(["SHARD_A", "SHARD_B"]));
		const after = await tenantsPerShard();
		expect(Math.abs((after.SHARD_A ?? 0) - (after.SHARD_B ?? 0))).toBeLessThanOrEqual(
			Math.max(1, Math.abs((before.SHARD_A ?? 0) - (before.SHARD_B ?? 0))),
		);
	});

	it("places no tenant on a shard listed in SHARDS_CLOSED", async () => {
		const closedB = { ...worker, SHARDS_CLOSED: "SHARD_B" };
		for (let i = 0; i < 3; i++) {
			const id = uniqueTag("closed");
			const res = await app.request(
				"/v1/tenants",
				{
					method: "POST",
					headers: { authorization: ADMIN, "content-type": "application/json" },
					body: JSON.stringify({ id, name: "x" }),
				},
				closedB,
			);
			expect(res.status).toBe(201);
			expect(await shardOf(id)).toBe("SHARD_A");
		}
		const none = await app.request(
			"/v1/tenants",
			{
				method: "POST",
				headers: { authorization: ADMIN, "content-type": "application/json" },
				body: JSON.stringify({ name: "x" }),
			},
			{ ...worker, SHARDS_CLOSED: "SHARD_A,SHARD_B" },
		);
		expect(none.status).toBe(503);
		const bad = await app.request("/healthz", {}, { ...worker, SHARDS_CLOSED: "shard-b" });
		expect(bad.status).toBe(503);
		expect(((await bad.json()) as { detail: string }).detail).toContain("SHARDS_CLOSED");
	});
});

/** A tenant with a key and a webhook on each shard (creating tenants until both shards have one). */
const tenantOnEachShard = async () => {
	const found = new Map<string, { id: string; token: string }>();
	for (let i = 0; i < 6 && found.size < 2; i++) {
		const tenant = await createTenant();
		const shard = (await shardOf(tenant.id)) as string;
		if (!found.has(shard)) found.set(shard, { id: tenant.id, token: (await createKey({ tenantId: tenant.id })).token });
	}
	expect([...found.keys()].sort()).toEqual(["SHARD_A", "SHARD_B"]);
	return found;
};

describe("a tenant on each shard", () => {
	it("stores each ingest on its tenant's shard and delivers it from there", async () => {
		const tenants = await tenantOnEachShard();
		for (const [shard, tenant] of tenants) {
			const tag = uniqueTag(shard);
			const hook = await createWebhook({ url: `${worker.RECEIVER_URL}/ok/${tag}` }, { token: tenant.token });
			const res = await api("/v1/events", {
				method: "POST",
				token: tenant.token,
				body: { type: "a.b", data: { shard } },
			});
			expect(res.status).toBe(202);
			const { id } = (await res.json()) as { id: string };
			const rows = await readEveryShard<{ t: string }>("select tenant_id t from events where id = ?", id);
			expect(rows).toEqual([{ t: tenant.id }]);
			const onShard = await shardEnv(worker, shard)
				.DB.prepare("select count(*) n from webhooks where id = ?")
				.bind(hook.id)
				.first<{ n: number }>();
			expect(onShard?.n).toBe(1);
			const [got] = await eventually(async () => {
				const r = await received(tag);
				return r.length > 0 ? r : undefined;
			});
			expect(JSON.parse(got?.body ?? "{}").data).toEqual({ shard });
		}
	});

	it("keeps concurrent ingests of both shards apart (one group commit per shard)", async () => {
		const tenants = [...(await tenantOnEachShard())];
		const type = uniqueTag("race.both");
		for (const [, tenant] of tenants)
			await createWebhook(
				{ eventTypes: [type], url: `${worker.RECEIVER_URL}/ok/${uniqueTag("race")}` },
				{ token: tenant.token },
			);
		const answers = await Promise.all(
			Array.from({ length: 40 }, async (_, i) => {
				const [shard, tenant] = tenants[i % 2] as [string, { id: string; token: string }];
				const res = await api("/v1/events", { method: "POST", token: tenant.token, body: { type, data: { i } } });
				return {
					shard,
					tenant: tenant.id,
					status: res.status,
					body: (await res.json()) as { id: string; notifications: number },
				};
			}),
		);
		for (const a of answers) {
			expect(a.status).toBe(202);
			expect(a.body.notifications).toBe(1);
			const row = await shardEnv(worker, a.shard)
				.DB.prepare("select tenant_id t from events where tenant_id = ? and id = ?")
				.bind(a.tenant, a.body.id)
				.first<{ t: string }>();
			expect(row?.t).toBe(a.tenant);
		}
	});

	it("re-sends, sweeps and reseals on both shards", async () => {
		const tenants = await tenantOnEachShard();
		const seeded = [];
		for (const [shard, tenant] of tenants) {
			const hook = await createWebhook(
				{ url: `${worker.RECEIVER_URL}/ok/${uniqueTag(shard)}` },
				{ token: tenant.token },
			);
			const old = Date.now() - 40 * 86_400_000;
			seeded.push({ shard, n: await seedNotification(hook.id, { status: "delivered", at: old, tenantId: tenant.id }) });
		}
		for (const { shard, n } of seeded) {
			await sweepShard(shardEnv(worker, shard));
			const left = await shardEnv(worker, shard)
				.DB.prepare("select count(*) c from notifications where id = ?")
				.bind(n.id)
				.first<{ c: number }>();
			expect(left?.c).toBe(0);
		}
		// Resealing walks every shard: the cursor moves from one to the next until null.
		const shardsSeen = new Set<string>();
		let cursor: string | undefined;
		for (let calls = 0; calls < 50; calls++) {
			const res = await api("/v1/webhooks/reseal", {
				method: "POST",
				body: { limit: 500, ...(cursor ? { cursor } : {}) },
			});
			expect(res.status).toBe(200);
			const body = (await res.json()) as { checked: number; nextCursor: string | null };
			if (body.nextCursor)
				shardsSeen.add(atob(body.nextCursor.replaceAll("-", "+").replaceAll("_", "/")).split("/")[0] as string);
			if (!body.nextCursor) break;
			cursor = body.nextCursor;
		}
		expect(shardsSeen.has("SHARD_B")).toBe(true);
	});
});

describe("one queue batch, both shards", () => {
	it("handles each message on its own shard, one without a shard (from before shards) on SHARD_A", async () => {
		const tenants = await tenantOnEachShard();
		const onB = tenants.get("SHARD_B") as { id: string; token: string };
		const tagB = uniqueTag("batch-b");
		const hookB = await createWebhook({ url: `${worker.RECEIVER_URL}/ok/${tagB}` }, { token: onB.token });
		const nB = await seedNotification(hookB.id, { tenantId: onB.id });
		const tagA = uniqueTag("batch-legacy");
		const hookA = await createWebhook({ url: `${worker.RECEIVER_URL}/ok/${tagA}` });
		const nA = await seedNotification(hookA.id);
		const batch = createMessageBatch<DeliveryMessage>("hookline-deliveries", [
			{ id: "m-legacy", timestamp: new Date(), attempts: 1, body: { notificationId: nA.id } },
			{ id: "m-b", timestamp: new Date(), attempts: 1, body: { notificationId: nB.id, shard: "SHARD_B" } },
		]);
		const ctx = createExecutionContext();
		await handleDeliveries(batch, worker);
		const result = await getQueueResult(batch, ctx);
		expect(result.explicitAcks.sort()).toEqual(["m-b", "m-legacy"]);
		expect(await received(tagA)).toHaveLength(1);
		expect(await received(tagB)).toHaveLength(1);
		expect((await historyOf(onB.id)).SHARD).toBe("SHARD_B");
	});
});
