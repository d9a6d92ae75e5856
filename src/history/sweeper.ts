// The sweeper, run by the cron trigger: re-enqueues notifications that were
// written but never enqueued, or whose queue message was lost (pending or
// retrying well past their due time), and purges history past retention.
import { and, eq, inArray, lt, notExists } from "drizzle-orm";
import { readConfig } from "../config";
import { database } from "../db";
import { attempts, events, ingestKeys, notifications } from "../db/schema";
import { enqueueDeliveries } from "../delivery/message";
import { FINAL } from "./status";
import { moveOverdue } from "./transitions";

/** Bounds per run keep one invocation well inside its limits; the next run takes the rest. */
const SWEEP_LIMIT = 1000;
const PURGE_LIMIT = 1000;

export type SweepResult = { reenqueued: number; purged: { notifications: number; events: number } };

export const sweep = async (env: Env, now = Date.now()): Promise<SweepResult> => {
	const config = readConfig(env);
	const db = database(env);
	const overdue = await moveOverdue(env, { before: now - config.sweepGraceSeconds * 1000, now, limit: SWEEP_LIMIT });
	if (overdue.length > 0) {
		await enqueueDeliveries(
			env.DELIVERIES,
			overdue.map((r) => r.id),
		);
	}

	const cutoff = now - config.retentionDays * 86_400_000;
	const old = db
		.select({ id: notifications.id })
		.from(notifications)
		// Last touched, not created: a notification re-sent yesterday keeps its history.
		.where(and(lt(notifications.updatedAt, cutoff), inArray(notifications.status, [...FINAL])))
		// Ordered, so the attempts and the notifications deletes pick the same rows.
		.orderBy(notifications.id)
		.limit(PURGE_LIMIT);
	const orphanEvents = db
		.select({ id: events.id })
		.from(events)
		.where(
			and(
				lt(events.receivedAt, cutoff),
				notExists(db.select({ one: notifications.id }).from(notifications).where(eq(notifications.eventId, events.id))),
			),
		)
		.limit(PURGE_LIMIT);
	const oldKeys = db
		.select({ key: ingestKeys.key })
		.from(ingestKeys)
		.where(lt(ingestKeys.createdAt, cutoff))
		.limit(PURGE_LIMIT);
	const [, purgedNotifications, purgedEvents] = await db.batch([
		db.delete(attempts).where(inArray(attempts.notificationId, old)),
		db.delete(notifications).where(inArray(notifications.id, old)),
		db.delete(events).where(inArray(events.id, orphanEvents)),
		db.delete(ingestKeys).where(inArray(ingestKeys.key, oldKeys)),
	]);
	const result = {
		reenqueued: overdue.length,
		purged: { notifications: purgedNotifications.meta.changes, events: purgedEvents.meta.changes },
	};
	if (result.reenqueued > 0 || result.purged.notifications > 0 || result.purged.events > 0) {
		console.log(JSON.stringify({ msg: "sweep", ...result }));
	}
	return result;
};
