// The sweeper, run by the cron trigger: re-enqueues notifications whose queue
// message was lost (written but never enqueued, or pending or retrying well
// past their due time), then purges history past retention, as much as has
// expired, in rounds, within a time budget.
import { and, eq, inArray, lt, notExists, sql } from "drizzle-orm";
import { readConfig } from "../config";
import { database } from "../db";
import { attempts, events, ingestKeys, notifications } from "../db/schema";
import { everyShard, type ShardEnv } from "../db/shards";
import { enqueueDeliveries } from "../queue/messages";
import { FINAL } from "./status";
import { moveOverdue } from "./transitions";

export type SweepLimits = {
	/** Notifications re-enqueued per run; the next run takes the rest. */
	reenqueue: number;
	/** Rows of each kind deleted per purge round. */
	purgeRound: number;
	/** A purge stops starting new rounds after this long; the next run goes on. */
	purgeBudgetMs: number;
};

/**
 * A run every minute purges up to its budget: at the rounds' local speed that
 * is far more than ingest writes (docs/delivery.md, "Retention", has the figures), so what
 * expires is gone within a run or two.
 */
const LIMITS: SweepLimits = { reenqueue: 1000, purgeRound: 2000, purgeBudgetMs: 20_000 };

export type SweepResult = { reenqueued: number; purged: { notifications: number; events: number; rounds: number } };

/**
 * Lost work first: pending and retrying notifications past their due time are
 * what a lost message leaves behind. Paused ones past their safety-net time
 * (their gate's release was lost) take what is left of the bound, so a long
 * outage's backlog never crowds out another webhook's lost deliveries.
 */
const reenqueueOverdue = async (env: ShardEnv, now: number, limit: number) => {
	const before = now - readConfig(env).sweepGraceSeconds * 1000;
	const lost = await moveOverdue(env, { statuses: ["pending", "retrying"], before, now, limit });
	const paused =
		lost.length < limit
			? await moveOverdue(env, { statuses: ["paused"], before, now, limit: limit - lost.length })
			: [];
	const overdue = [...lost, ...paused];
	if (overdue.length > 0) await enqueueDeliveries(env.DELIVERIES, env.SHARD, overdue);
	return overdue.length;
};

/** One round: up to `limit` finished notifications (with their attempts), orphaned events and ingest keys past `cutoff`. */
const purgeRound = async (env: ShardEnv, cutoff: number, limit: number) => {
	const db = database(env);
	const old = db
		.select({ id: notifications.id })
		.from(notifications)
		// Last touched, not created: a notification re-sent yesterday keeps its history.
		.where(and(lt(notifications.updatedAt, cutoff), inArray(notifications.status, [...FINAL])))
		// Ordered, so the attempts and the notifications deletes pick the same rows, and in the
		// retention index's own order (rowid ends every index entry), so a round reads the rows
		// it deletes, not every expired row to sort them (docs/scaling.md, "Retention").
		.orderBy(notifications.status, notifications.updatedAt, sql`rowid`)
		.limit(limit);
	// Events and ingest keys are keyed by (tenant, id): the deletes pick their rows by rowid.
	const orphanEvents = db
		.select({ rowid: sql`rowid` })
		.from(events)
		.where(
			and(
				lt(events.receivedAt, cutoff),
				notExists(
					db
						.select({ one: notifications.id })
						.from(notifications)
						.where(and(eq(notifications.tenantId, events.tenantId), eq(notifications.eventId, events.id))),
				),
			),
		)
		.limit(limit);
	const oldKeys = db
		.select({ rowid: sql`rowid` })
		.from(ingestKeys)
		.where(lt(ingestKeys.createdAt, cutoff))
		.limit(limit);
	const [, purgedNotifications, purgedEvents, purgedKeys] = await db.batch([
		db.delete(attempts).where(inArray(attempts.notificationId, old)),
		db.delete(notifications).where(inArray(notifications.id, old)),
		db.delete(events).where(inArray(sql`rowid`, orphanEvents)),
		db.delete(ingestKeys).where(inArray(sql`rowid`, oldKeys)),
	]);
	return {
		notifications: purgedNotifications.meta.changes,
		events: purgedEvents.meta.changes,
		more: Math.max(purgedNotifications.meta.changes, purgedEvents.meta.changes, purgedKeys.meta.changes) >= limit,
	};
};

/** Rounds until nothing past retention is left or the budget is spent. */
const purgeExpired = async (env: ShardEnv, now: number, { purgeRound: limit, purgeBudgetMs }: SweepLimits) => {
	const cutoff = now - readConfig(env).retentionDays * 86_400_000;
	const started = Date.now();
	const purged = { notifications: 0, events: 0, rounds: 0 };
	for (let more = true; more && Date.now() - started < purgeBudgetMs; ) {
		const round = await purgeRound(env, cutoff, limit);
		purged.notifications += round.notifications;
		purged.events += round.events;
		purged.rounds++;
		more = round.more;
	}
	return purged;
};

/** One shard's run. */
export const sweepShard = async (
	env: ShardEnv,
	now = Date.now(),
	limits: SweepLimits = LIMITS,
): Promise<SweepResult> => {
	// A failing re-enqueue does not skip the purge; it is reported after it.
	let reenqueued = 0;
	let failure: unknown;
	try {
		reenqueued = await reenqueueOverdue(env, now, limits.reenqueue);
	} catch (err) {
		failure = err;
		console.error(JSON.stringify({ msg: "sweep: re-enqueue failed", error: String(err) }));
	}
	const purged = await purgeExpired(env, now, limits);
	const result = { reenqueued, purged };
	if (reenqueued > 0 || purged.notifications > 0 || purged.events > 0)
		console.log(JSON.stringify({ msg: "sweep", shard: env.SHARD, ...result }));
	if (failure) throw failure;
	return result;
};

/** Every shard's run, side by side (each within its own budget); the sums, and the first failure after all ran. */
export const sweep = async (env: Env, now = Date.now(), limits: SweepLimits = LIMITS): Promise<SweepResult> => {
	const runs = await Promise.allSettled(everyShard(env).map((shard) => sweepShard(shard, now, limits)));
	const total: SweepResult = { reenqueued: 0, purged: { notifications: 0, events: 0, rounds: 0 } };
	for (const run of runs) {
		if (run.status === "rejected") continue;
		total.reenqueued += run.value.reenqueued;
		total.purged.notifications += run.value.purged.notifications;
		total.purged.events += run.value.purged.events;
		total.purged.rounds += run.value.purged.rounds;
	}
	const failed = runs.find((run) => run.status === "rejected");
	if (failed) throw failed.reason;
	return total;
};
