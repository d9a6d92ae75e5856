// Manual re-sends: one notification, or every one a filter matches. Both start
// a fresh manual series that sends the stored request again, with the same
// idempotency key, and enqueue it.

import { and, count, eq } from "drizzle-orm";
import { database } from "../db";
import { notifications, webhooks } from "../db/schema";
import type { ShardEnv } from "../db/shards";
import { ProblemError } from "../http/problem";
import { enqueueDeliveries } from "../queue/messages";
import { matching, type NotificationQuery, ofLiveWebhook } from "./filter";
import { RESENDABLE } from "./status";
import { restartAll, restartSeries } from "./transitions";

/** One bulk re-send moves at most this many; the answer's count tells whether to call again. */
export const MAX_BULK_RESEND = 10_000;

/** A bulk re-send's filter: a status to start from (default `failed`) and the history list's fields. */
export type ResendQuery = Omit<NotificationQuery, "eventId" | "status"> & { status: (typeof RESENDABLE)[number] };

/** What a bulk re-send moves: the filter's notifications whose webhook is live. */
const resendable = (q: ResendQuery) => and(matching(q), ofLiveWebhook(q.tenantId));

/**
 * Starts a fresh manual series for every notification matching `q` whose webhook
 * is live, at most MAX_BULK_RESEND, and enqueues them (in fan-out messages when many).
 */
export const resendMatching = async (env: ShardEnv, q: ResendQuery, now = Date.now()) => {
	const db = database(env);
	const ids = db
		.select({ id: notifications.id })
		.from(notifications)
		.where(resendable(q))
		.orderBy(notifications.id)
		.limit(MAX_BULK_RESEND);
	const rows = await restartAll(env, ids, now);
	await enqueueDeliveries(env.DELIVERIES, env.SHARD, rows);
	console.log(JSON.stringify({ msg: "bulk resend", filter: q, count: rows.length }));
	return rows.length;
};

/** How many `resendMatching` would move now (the same conditions and bound). */
export const countResendable = async (env: ShardEnv, q: ResendQuery) => {
	const [row] = await database(env).select({ n: count() }).from(notifications).where(resendable(q));
	return Math.min(row?.n ?? 0, MAX_BULK_RESEND);
};

/** Re-sends one of the tenant's notifications now; a 404 or a 409 says why it cannot be. */
export const resendOne = async (env: ShardEnv, tenantId: string, id: string, now = Date.now()) => {
	const db = database(env);
	const [row] = await db
		.select({ notification: notifications, webhook: webhooks })
		.from(notifications)
		.leftJoin(webhooks, eq(webhooks.id, notifications.webhookId))
		.where(and(eq(notifications.id, id), eq(notifications.tenantId, tenantId)));
	if (!row) throw new ProblemError(404, `No notification ${id}.`);
	const { notification: n, webhook } = row;
	if (!webhook || webhook.deletedAt !== null) throw new ProblemError(409, `Its webhook ${n.webhookId} was deleted.`);
	if (!webhook.enabled) throw new ProblemError(409, `Its webhook ${webhook.id} is disabled; enable it first.`);
	if (!(RESENDABLE as readonly string[]).includes(n.status)) {
		throw new ProblemError(409, `Notification ${id} is ${n.status}: it is about to be sent already.`);
	}
	const [updated] = await restartSeries(env, n, now);
	if (!updated) throw new ProblemError(409, `Notification ${id} changed meanwhile; try again.`);
	await enqueueDeliveries(env.DELIVERIES, env.SHARD, [{ id, series: updated.series }]);
	return updated;
};
