// Every change of a notification's status, in one place. Each is a guarded
// update: it applies only while the notification is where the caller saw it
// (its series, its attempt count, an open status), so a late or repeated write
// never takes back a delivery or a newer attempt. Callers never write a status
// themselves; they put these statements in their own D1 batch.

import { and, eq, inArray, lt, type SQL, type SQLWrapper, sql } from "drizzle-orm";
import type { StoredRequest } from "../attempt/request";
import type { AttemptOutcome } from "../attempt/send";
import { database } from "../db";
import { type NotificationRow, notifications } from "../db/schema";
import type { ShardEnv } from "../db/shards";
import type { StoredText } from "../db/stored-text";
import { OPEN } from "./status";

/** Which notification, in which series: the guard of every per-notification transition. */
export type SeriesOf = Pick<NotificationRow, "id" | "series">;
/** The same, at the attempt the caller saw (the guard of a wait). */
export type WaitingAt = SeriesOf & Pick<NotificationRow, "attemptCount">;

const inSeries = (n: SeriesOf, only?: SQL) => and(eq(notifications.id, n.id), eq(notifications.series, n.series), only);

const updateSeries = (env: ShardEnv, n: SeriesOf, fields: Partial<NotificationRow>, only?: SQL) =>
	database(env)
		.update(notifications)
		.set({ ...fields, updatedAt: Date.now() })
		.where(inSeries(n, only));

/** A wait applies only while the notification still waits at the attempt the caller saw. */
const updateWaiting = (env: ShardEnv, n: WaitingAt, fields: Partial<NotificationRow>) =>
	updateSeries(
		env,
		n,
		fields,
		and(eq(notifications.attemptCount, n.attemptCount), inArray(notifications.status, [...OPEN])),
	);

/** Its endpoint's circuit is open: it waits in the gate without spending an attempt; `safetyNetAt` is when the sweeper looks again. */
export const pause = (env: ShardEnv, n: WaitingAt, { reason, safetyNetAt }: { reason: string; safetyNetAt: number }) =>
	updateWaiting(env, n, { status: "paused", lastError: reason, nextAttemptAt: safetyNetAt });

/**
 * Not sent now (a busy, stale or full gate): due again at `dueAt`, so the sweeper does not add
 * copies meanwhile. For one parked in its gate, `dueAt` is the sweeper's safety net: the gate
 * enqueues it before then.
 */
export const postpone = (env: ShardEnv, n: WaitingAt, dueAt: number) => updateWaiting(env, n, { nextAttemptAt: dueAt });

/** Only while still on its way: a late or duplicate message never turns `delivered` into anything else. */
const stillOpen = inArray(notifications.status, [...OPEN]);

/** Ends the series `failed` without an attempt (its webhook was deleted, or its message was dead-lettered). */
export const fail = (env: ShardEnv, n: SeriesOf, reason: string) =>
	updateSeries(env, n, { status: "failed", lastError: reason, nextAttemptAt: null }, stillOpen);

/**
 * Whether `fail` will change the notification, as a condition that a write put
 * before it in the same batch can hold to (an operational event, src/ops-events).
 */
/** The open statuses as an SQL list, for the guards below. */
const OPEN_SQL = OPEN.map((s) => `'${s}'`).join(", ");

export const failApplies = (n: SeriesOf) => ({
	sql: `EXISTS (SELECT 1 FROM notifications WHERE id = ? AND series = ? AND status IN (${OPEN_SQL}))`,
	params: [n.id, n.series],
});

/** Arrived while its webhook was disabled: kept, `skipped`, for a re-send once it is enabled. */
export const skip = (env: ShardEnv, n: SeriesOf, reason: string) =>
	updateSeries(env, n, { status: "skipped", lastError: reason, nextAttemptAt: null }, stillOpen);

/** What a manual re-send does: a fresh series, due now, that sends the stored request again. */
const restart = (now: number) => ({
	status: "pending" as const,
	attemptCount: 0,
	series: sql`${notifications.series} + 1`,
	trigger: "manual" as const,
	nextAttemptAt: now,
	lastError: null,
	deliveredAt: null,
	updatedAt: now,
});

/** Re-sends one notification, if it is still in the series the caller saw; returns the updated row. */
export const restartSeries = (env: ShardEnv, n: SeriesOf, now: number) =>
	database(env).update(notifications).set(restart(now)).where(inSeries(n)).returning();

/** Re-sends every notification whose id the subquery `ids` selects; returns their ids. */
export const restartAll = (env: ShardEnv, ids: SQLWrapper, now: number) =>
	database(env)
		.update(notifications)
		.set(restart(now))
		.where(inArray(notifications.id, ids))
		.returning({ id: notifications.id, series: notifications.series });

/** Notifications in `statuses` due before `before` (their message may be lost): at most `limit`, oldest due first, moved due now; returns their ids. */
export const moveOverdue = (
	env: ShardEnv,
	{ statuses, before, now, limit }: { statuses: (typeof OPEN)[number][]; before: number; now: number; limit: number },
) => {
	const db = database(env);
	return db
		.update(notifications)
		.set({ nextAttemptAt: now, updatedAt: now })
		.where(
			inArray(
				notifications.id,
				db
					.select({ id: notifications.id })
					.from(notifications)
					// A paused one's due time is its safety net: its gate should have released it by then.
					.where(and(inArray(notifications.status, statuses), lt(notifications.nextAttemptAt, before)))
					.orderBy(notifications.nextAttemptAt)
					.limit(limit),
			),
		)
		.returning({ id: notifications.id, series: notifications.series });
};

/** A webhook was disabled: what its gate held paused becomes `skipped`. */
export const skipPausedOf = (env: ShardEnv, webhookId: string, { reason, at }: { reason: string; at: number }) =>
	database(env)
		.update(notifications)
		.set({ status: "skipped", lastError: `webhook disabled: ${reason}`, nextAttemptAt: null, updatedAt: at })
		.where(and(eq(notifications.webhookId, webhookId), eq(notifications.status, "paused")));

/** A webhook was deleted: everything still open for it ends `failed`. */
export const failOpenOf = (env: ShardEnv, webhookId: string, at: number) =>
	database(env)
		.update(notifications)
		.set({ status: "failed", lastError: "webhook deleted", nextAttemptAt: null, updatedAt: at })
		.where(and(eq(notifications.webhookId, webhookId), inArray(notifications.status, [...OPEN])));

/** A tenant was deleted: everything still open for it ends `failed`. */
export const failOpenOfTenant = (env: ShardEnv, tenantId: string, at: number) =>
	database(env)
		.update(notifications)
		.set({ status: "failed", lastError: "tenant deleted", nextAttemptAt: null, updatedAt: at })
		.where(and(eq(notifications.tenantId, tenantId), inArray(notifications.status, [...OPEN])));

// An attempt's two writes run for every message, so they are plain prepared D1
// statements: building them with drizzle cost more main-thread time than running
// them. The update applies only in the series the attempt belongs to and only
// when it moves the attempt count forward, so a late write never takes the
// record back.
const INSERT_ATTEMPT = `INSERT INTO attempts (id, notification_id, series, number, "trigger", started_at, duration_ms,
  succeeded, status_code, error_kind, error, response_excerpt, url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT DO NOTHING`;
const RECORD_SET =
	"status = ?, attempt_count = ?, last_error = ?, next_attempt_at = ?, delivered_at = ?, updated_at = ?";
const RECORD_WHERE = "WHERE id = ? AND series = ? AND attempt_count < ?";
const UPDATE_RECORD = `UPDATE notifications SET ${RECORD_SET} ${RECORD_WHERE}`;
const UPDATE_RECORD_WITH_REQUEST = `UPDATE notifications SET ${RECORD_SET},
  request_method = ?, request_url = ?, request_headers = ?, request_body = ? ${RECORD_WHERE}`;

export type RecordedAttempt = {
	attemptId: string;
	number: number;
	startedAt: number;
	outcome: AttemptOutcome;
	/** Where it went; null when nothing was sent. */
	url: string | null;
	/** The request as computed at the first send-out, its body packed, stored with that attempt's record; absent later. */
	firstRequest?: Omit<StoredRequest, "body"> & { body: StoredText };
};

/**
 * Whether `recordAttempt` will change the notification while it is still open
 * (as `failApplies` for `fail`): a notification its webhook's or tenant's
 * deletion already ended takes a late record, but that record tells no one.
 */
export const recordApplies = (n: SeriesOf, number: number) => ({
	sql: `EXISTS (SELECT 1 FROM notifications ${RECORD_WHERE} AND status IN (${OPEN_SQL}))`,
	params: [n.id, n.series, number],
});

/**
 * An attempt and what it means for the notification: `delivered` on success,
 * `retrying` when `retryAt` says when the next attempt is due, `failed` otherwise.
 */
export const recordAttempt = (
	env: ShardEnv,
	n: SeriesOf & Pick<NotificationRow, "trigger">,
	attempt: RecordedAttempt,
	retryAt: number | undefined,
	finishedAt = Date.now(),
): D1PreparedStatement[] => {
	const { outcome, firstRequest: request } = attempt;
	return [
		env.DB.prepare(INSERT_ATTEMPT).bind(
			attempt.attemptId,
			n.id,
			n.series,
			attempt.number,
			n.trigger,
			attempt.startedAt,
			outcome.durationMs,
			outcome.succeeded ? 1 : 0,
			outcome.statusCode ?? null,
			outcome.errorKind ?? null,
			outcome.error ?? null,
			outcome.responseExcerpt ?? null,
			attempt.url,
		),
		env.DB.prepare(request ? UPDATE_RECORD_WITH_REQUEST : UPDATE_RECORD).bind(
			outcome.succeeded ? "delivered" : retryAt === undefined ? "failed" : "retrying",
			attempt.number,
			outcome.error ?? null,
			retryAt ?? null,
			outcome.succeeded ? finishedAt : null,
			Date.now(),
			...(request ? [request.method, request.url, JSON.stringify(request.headers), request.body] : []),
			n.id,
			n.series,
			attempt.number,
		),
	];
};
