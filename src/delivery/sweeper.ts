// The sweeper, run by the cron trigger: re-enqueues notifications that were
// written but never enqueued, or whose queue message was lost (pending or
// retrying well past their due time), and purges history past retention.
import { sql } from "drizzle-orm";
import { readConfig } from "../config";
import { database } from "../db";
import { enqueueDeliveries } from "./message";

/** Bounds per run keep one invocation well inside its limits; the next run takes the rest. */
const SWEEP_LIMIT = 1000;
const PURGE_LIMIT = 1000;

export type SweepResult = { reenqueued: number; purged: { notifications: number; events: number } };

export const sweep = async (env: Env, now = Date.now()): Promise<SweepResult> => {
	const config = readConfig(env);
	const db = database(env);
	const overdue = await db.all<{ id: string }>(sql`
		UPDATE notifications SET next_attempt_at = ${now}, updated_at = ${now}
		WHERE id IN (
			SELECT id FROM notifications
			WHERE status IN ('pending', 'retrying') AND next_attempt_at < ${now - config.sweepGraceSeconds * 1000}
			ORDER BY next_attempt_at LIMIT ${SWEEP_LIMIT}
		)
		RETURNING id`);
	if (overdue.length > 0)
		await enqueueDeliveries(
			env.DELIVERIES,
			overdue.map((r) => r.id),
		);

	const cutoff = now - config.retentionDays * 86_400_000;
	const old = sql`SELECT id FROM notifications
		WHERE created_at < ${cutoff} AND status IN ('delivered', 'failed', 'skipped') LIMIT ${PURGE_LIMIT}`;
	const [, purgedNotifications, purgedEvents] = await db.batch([
		db.run(sql`DELETE FROM attempts WHERE notification_id IN (${old})`),
		db.run(sql`DELETE FROM notifications WHERE id IN (${old})`),
		db.run(sql`DELETE FROM events WHERE id IN (
			SELECT e.id FROM events e WHERE e.received_at < ${cutoff}
			AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.event_id = e.id) LIMIT ${PURGE_LIMIT})`),
		db.run(sql`DELETE FROM ingest_keys WHERE key IN (
			SELECT key FROM ingest_keys WHERE created_at < ${cutoff} LIMIT ${PURGE_LIMIT})`),
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
