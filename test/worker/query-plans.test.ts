// Every statement the history's code runs on a shard, asked of D1's own query
// planner (EXPLAIN QUERY PLAN) with the parameters it ran with: each reads
// through an index, never a whole table, and a page of the history list, in
// any filter, is one range of a tenant-first index with no sort. The
// statements are recorded from the real code paths, so a query that changes or
// an index that goes is caught here.
import { describe, expect, it } from "vitest";
import { deliver } from "../../src/delivery/consumer";
import { ingestEvent } from "../../src/events/ingest";
import { replayToWebhook } from "../../src/events/replay";
import { listNotifications, readNotification } from "../../src/history/read";
import { countResendable, resendMatching, resendOne } from "../../src/history/resend";
import { sweepShard } from "../../src/history/sweeper";
import { failOpenOfTenant } from "../../src/history/transitions";
import { releaseLease, renewLease, takeLease } from "../../src/stream/lease";
import { readLog } from "../../src/stream/reader";
import {
	commitSubscription,
	createSubscription,
	deleteSubscription,
	listSubscriptions,
	waitingOf,
} from "../../src/stream/subscriptions";
import { backlogOf, changeWebhook, deleteWebhook, enableWebhook, findWebhook } from "../../src/webhooks/service";
import { createWebhook, defaultShard as env, seedNotification, uniqueTag } from "./helpers";

type Statement = { sql: string; params: unknown[] };

/** The real D1, with every statement it runs (alone or in a batch) written down with its parameters. */
const recording = (db: D1Database, seen: Statement[]): D1Database => {
	const origin = new WeakMap<object, Statement & { statement: D1PreparedStatement }>();
	const wrap = (statement: D1PreparedStatement, sql: string, params: unknown[]): D1PreparedStatement => {
		const proxy = new Proxy(statement, {
			get(target, name) {
				if (name === "bind") return (...values: unknown[]) => wrap(target.bind(...values), sql, values);
				const value = Reflect.get(target, name, target);
				if (typeof value !== "function") return value;
				if (name === "all" || name === "run" || name === "first" || name === "raw") {
					return (...args: unknown[]) => {
						seen.push({ sql, params });
						return value.apply(target, args);
					};
				}
				return value.bind(target);
			},
		});
		origin.set(proxy, { statement, sql, params });
		return proxy;
	};
	return new Proxy(db, {
		get(target, name) {
			if (name === "prepare") return (sql: string) => wrap(target.prepare(sql), sql, []);
			if (name === "batch") {
				return (statements: D1PreparedStatement[]) => {
					for (const s of statements) {
						const o = origin.get(s);
						if (o) seen.push({ sql: o.sql, params: o.params });
					}
					return target.batch(statements.map((s) => origin.get(s)?.statement ?? s));
				};
			}
			const value = Reflect.get(target, name, target);
			return typeof value === "function" ? value.bind(target) : value;
		},
	});
};

/** The statements `flow` runs on the default shard, each with D1's plan for it. */
const plansOf = async (flow: (recorded: typeof env) => Promise<unknown>) => {
	const seen: Statement[] = [];
	await flow({ ...env, DB: recording(env.DB, seen) });
	return Promise.all(
		seen.map(async ({ sql, params }) => {
			const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
				.bind(...params)
				.all<{ detail: string }>();
			return { sql, steps: results.map((r) => r.detail) };
		}),
	);
};

/**
 * A step that reads a whole table (json_each's virtual table is the statement's own list, and a
 * subquery's rows are its own bounded result).
 */
const isFullScan = (step: string) => /^SCAN /.test(step) && !/VIRTUAL TABLE|^SCAN \(subquery-/.test(step);

const TENANT = "default";

describe("query plans", () => {
	it("reads a page of the history in any filter as one range of a tenant-first index, unsorted", async () => {
		const hook = await createWebhook();
		const { id, eventId } = await seedNotification(hook.id, { status: "failed" });
		const filters = [
			{ query: {}, index: "notifications_tenant_idx" },
			{ query: { webhookId: hook.id }, index: "notifications_webhook_idx" },
			{ query: { eventId }, index: "notifications_event_idx" },
			{ query: { eventType: "loan.created" }, index: "notifications_type_idx" },
			{ query: { status: "failed" as const }, index: "notifications_status_idx" },
		];
		for (const { query, index } of filters) {
			for (const after of [undefined, id]) {
				const [plan, ...more] = await plansOf((db) =>
					listNotifications(db, { tenantId: TENANT, ...query }, { after, limit: 50 }),
				);
				expect(more).toEqual([]);
				expect(plan?.steps, JSON.stringify(query)).toEqual([
					expect.stringMatching(`^SEARCH notifications USING INDEX ${index} \\(tenant_id=\\?`),
				]);
			}
		}
		const read = await plansOf((db) => readNotification(db, TENANT, id));
		expect(read.flatMap((p) => p.steps).filter(isFullScan)).toEqual([]);
	});

	it("ingests, delivers, fails, re-sends, counts a backlog, disables and deletes without reading a whole table", async () => {
		const tag = uniqueTag("plans");
		const hook = await createWebhook({ url: `${env.RECEIVER_URL}/ok/${tag}` });
		const other = await createWebhook();
		const failed = await seedNotification(hook.id, { status: "failed" });
		const pending = await seedNotification(hook.id);
		// Its one attempt fails: the operational event's statements run with the attempt's.
		const failing = await createWebhook({
			url: `${env.RECEIVER_URL}/status/500/${tag}`,
			retryPolicy: { delaysSeconds: [] },
		});
		const doomed = await seedNotification(failing.id);
		const plans = await plansOf(async (db) => {
			await ingestEvent(db, TENANT, { type: "loan.created", data: { amount: 1 } }, { webhookId: hook.id });
			await ingestEvent(db, TENANT, { type: "loan.created", data: { amount: 2 } }, { idempotencyKey: tag });
			await ingestEvent(db, TENANT, { type: "loan.created", data: { amount: 2 } }, { idempotencyKey: tag });
			await deliver(db, pending.id);
			await deliver(db, doomed.id);
			await countResendable(db, { tenantId: TENANT, status: "failed" });
			await resendMatching(db, { tenantId: TENANT, status: "failed", webhookId: other.id });
			await resendOne(db, TENANT, failed.id);
			await backlogOf(db, hook.id);
			await changeWebhook(db, await findWebhook(db, TENANT, other.id), {}, { enabled: false });
			await enableWebhook(db, other.id, { resendSkipped: true });
			await deleteWebhook(db, other.id);
			await failOpenOfTenant(db, uniqueTag("gone"), Date.now());
		});
		expect(plans.length).toBeGreaterThan(15);
		expect(plans.filter((p) => p.steps.some(isFullScan))).toEqual([]);
		// Among them the operational events' (a failed notification, a disable, an enable).
		expect(plans.filter((p) => p.sql.includes("NOT EXISTS (SELECT 1 FROM events e")).length).toBeGreaterThanOrEqual(6);
	});

	it("sweeps lost work and expired history through indexes, purging in the retention index's own order", async () => {
		const hook = await createWebhook({ enabled: false });
		const old = Date.now() - 40 * 86_400_000;
		await seedNotification(hook.id, { status: "delivered", at: old });
		await seedNotification(hook.id, { status: "pending", nextAttemptAt: Date.now() - 3_600_000 });
		const plans = await plansOf((db) =>
			sweepShard(db, Date.now(), { reenqueue: 10, purgeRound: 10, purgeBudgetMs: 10_000 }),
		);
		expect(plans.filter((p) => p.steps.some(isFullScan))).toEqual([]);
		const purges = plans.filter((p) => /^delete/i.test(p.sql));
		expect(purges.length).toBeGreaterThanOrEqual(4);
		expect(purges.filter((p) => p.steps.some((s) => s.includes("TEMP B-TREE")))).toEqual([]);
		const lost = plans.filter((p) => p.sql.includes("next_attempt_at") && /^update/i.test(p.sql));
		expect(lost.flatMap((p) => p.steps).join("\n")).toContain("notifications_due_idx");
	});

	it("streams, counts, commits, leases and replays through indexes", async () => {
		const hook = await createWebhook({ eventTypes: ["loan.*"] });
		await ingestEvent(env, TENANT, { type: "loan.created", data: { amount: 1 } });
		const webhook = await findWebhook(env, TENANT, hook.id);
		const plans = await plansOf(async (db) => {
			const sub = await createSubscription(db, TENANT, { name: "plans", eventTypes: ["loan.*"], startFrom: "begin" });
			const { leaseId } = await takeLease(db, TENANT, sub.id);
			const read = await readLog(db, {
				tenantId: TENANT,
				subscriptionId: sub.id,
				patterns: sub.eventTypes,
				after: 0,
				want: 10,
			});
			await renewLease(db, TENANT, sub.id, leaseId);
			await releaseLease(db, TENANT, sub.id, leaseId);
			await commitSubscription(db, sub, read.position);
			await waitingOf(db, sub);
			await listSubscriptions(db, TENANT, sub.id, 10);
			await replayToWebhook(db, webhook, { since: Date.now() - 60_000, until: Date.now() + 1 }, { limit: 2, round: 1 });
			await deleteSubscription(db, TENANT, sub.id);
		});
		expect(plans.length).toBeGreaterThan(10);
		expect(plans.filter((p) => p.steps.some(isFullScan))).toEqual([]);
		const steps = plans.flatMap((p) => p.steps).join("\n");
		expect(steps).toContain("events_log_idx");
		expect(steps).toContain("events_tenant_received_idx");
	});
});
