// /v1/notifications: the communication history.
import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, desc, eq, gte, inArray, lt, sql } from "drizzle-orm";
import { database } from "../db";
import { attempts, events, notifications, webhooks } from "../db/schema";
import { enqueueDeliveries } from "../delivery/message";
import { bearerAuth } from "../http/auth";
import { decodeCursor, PageQuery, page, pageOf } from "../http/pagination";
import { ProblemError } from "../http/problem";
import { IdParam, json, jsonBody, newRouter, problems } from "../http/router";
import { iso } from "../webhooks/schema";
import {
	BulkResend,
	Notification,
	NotificationDetail,
	NotificationFilter,
	RESENDABLE,
	toAttempt,
	toNotification,
} from "./schema";

export const notificationRoutes = newRouter();
notificationRoutes.use("*", bearerAuth({ allow: ["admin"] }));

const tags = ["notifications"];
const security = [{ bearer: [] }];

/**
 * Starts a fresh manual series for every notification matching `q` whose webhook
 * is live, at most MAX_BULK_RESEND, and enqueues them (in fan-out messages when many).
 */
export const bulkResend = async (env: Env, q: z.infer<typeof BulkResend>, now = Date.now()) => {
	const db = database(env);
	const matching = db
		.select({ id: notifications.id })
		.from(notifications)
		.where(
			and(
				eq(notifications.status, q.status),
				liveWebhook,
				// One bound parameter for up to 1,000 ids (D1 allows 100 per statement).
				q.ids ? sql`${notifications.id} IN (SELECT value FROM json_each(${JSON.stringify(q.ids)}))` : undefined,
				q.webhookId ? eq(notifications.webhookId, q.webhookId) : undefined,
				q.eventType ? eq(notifications.eventType, q.eventType) : undefined,
				q.since ? gte(notifications.createdAt, Date.parse(q.since)) : undefined,
				q.until ? lt(notifications.createdAt, Date.parse(q.until)) : undefined,
			),
		)
		.orderBy(notifications.id)
		.limit(MAX_BULK_RESEND);
	const rows = await db
		.update(notifications)
		.set(restart(now))
		.where(inArray(notifications.id, matching))
		.returning({ id: notifications.id });
	await enqueueDeliveries(
		env.DELIVERIES,
		rows.map((r) => r.id),
	);
	console.log(JSON.stringify({ msg: "bulk resend", filter: q, count: rows.length }));
	return rows;
};

notificationRoutes.openapi(
	createRoute({
		method: "get",
		path: "/",
		tags,
		security,
		summary: "List notifications, newest first",
		request: { query: PageQuery.extend(NotificationFilter.shape) },
		responses: { 200: json(pageOf(Notification), "A page of notifications"), ...problems(400, 401, 403, 503) },
	}),
	async (c) => {
		const q = c.req.valid("query");
		const after = decodeCursor(q.cursor);
		const rows = await database(c.env)
			.select()
			.from(notifications)
			.where(
				and(
					q.webhookId ? eq(notifications.webhookId, q.webhookId) : undefined,
					q.eventId ? eq(notifications.eventId, q.eventId) : undefined,
					q.eventType ? eq(notifications.eventType, q.eventType) : undefined,
					q.status ? eq(notifications.status, q.status) : undefined,
					q.since ? gte(notifications.createdAt, Date.parse(q.since)) : undefined,
					q.until ? lt(notifications.createdAt, Date.parse(q.until)) : undefined,
					after ? lt(notifications.id, after) : undefined,
				),
			)
			.orderBy(desc(notifications.id))
			.limit(q.limit + 1);
		const { data, nextCursor } = page(rows, q.limit);
		return c.json({ data: data.map(toNotification), nextCursor }, 200);
	},
);

notificationRoutes.openapi(
	createRoute({
		method: "get",
		path: "/{id}",
		tags,
		security,
		summary: "Read a notification with its stored request and attempts",
		request: { params: IdParam("notification id", "ntf_01JD0Z4N6V7W8X9Y0Z1A2B3C4D") },
		responses: { 200: json(NotificationDetail, "The notification"), ...problems(401, 403, 404, 503) },
	}),
	async (c) => {
		const { id } = c.req.valid("param");
		const db = database(c.env);
		const [[row], tries] = await db.batch([
			db.select().from(notifications).where(eq(notifications.id, id)),
			db.select().from(attempts).where(eq(attempts.notificationId, id)).orderBy(asc(attempts.id)),
		]);
		if (!row) throw new ProblemError(404, `No notification ${id}.`);
		const event = await db.query.events.findFirst({ where: eq(events.id, row.eventId) });
		return c.json(
			{
				...toNotification(row),
				event: {
					id: row.eventId,
					type: row.eventType,
					occurredAt: iso(event?.occurredAt ?? row.createdAt),
					data: event ? (JSON.parse(event.data) as Record<string, unknown>) : {},
				},
				request:
					row.requestMethod === null
						? null
						: {
								method: row.requestMethod,
								url: row.requestUrl ?? "",
								headers: row.requestHeaders ?? {},
								body: row.requestBody ?? "",
							},
				attempts: tries.map(toAttempt),
			},
			200,
		);
	},
);

/** What a manual re-send does to a notification: a fresh series, due now, with the stored request. */
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

/** One bulk re-send moves at most this many; the answer's count tells whether to call again. */
const MAX_BULK_RESEND = 10_000;

/** Notifications whose webhook can take deliveries now. */
const liveWebhook = inArray(
	notifications.webhookId,
	sql`(SELECT ${webhooks.id} FROM ${webhooks} WHERE ${webhooks.deletedAt} IS NULL AND ${webhooks.enabled} = 1)`,
);

notificationRoutes.openapi(
	createRoute({
		method: "post",
		path: "/{id}/resend",
		tags,
		security,
		summary: "Re-send a notification now",
		description:
			"Starts a fresh series of attempts (trigger `manual`) that sends the stored request byte for byte, with the same idempotency key.",
		request: { params: IdParam("notification id", "ntf_01JD0Z4N6V7W8X9Y0Z1A2B3C4D") },
		responses: {
			202: json(Notification, "Queued for a new series of attempts"),
			...problems(401, 403, 404, 409, 503),
		},
	}),
	async (c) => {
		const { id } = c.req.valid("param");
		const db = database(c.env);
		const [row] = await db
			.select({ notification: notifications, webhook: webhooks })
			.from(notifications)
			.leftJoin(webhooks, eq(webhooks.id, notifications.webhookId))
			.where(eq(notifications.id, id));
		if (!row) throw new ProblemError(404, `No notification ${id}.`);
		const { notification: n, webhook } = row;
		if (!webhook || webhook.deletedAt !== null) throw new ProblemError(409, `Its webhook ${n.webhookId} was deleted.`);
		if (!webhook.enabled) throw new ProblemError(409, `Its webhook ${webhook.id} is disabled; enable it first.`);
		if (!(RESENDABLE as readonly string[]).includes(n.status)) {
			throw new ProblemError(409, `Notification ${id} is ${n.status}: it is about to be sent already.`);
		}
		const [updated] = await db
			.update(notifications)
			.set(restart(Date.now()))
			.where(and(eq(notifications.id, id), eq(notifications.series, n.series)))
			.returning();
		if (!updated) throw new ProblemError(409, `Notification ${id} changed meanwhile; try again.`);
		await enqueueDeliveries(c.env.DELIVERIES, [id]);
		return c.json(toNotification(updated), 202);
	},
);

notificationRoutes.openapi(
	createRoute({
		method: "post",
		path: "/resend",
		tags,
		security,
		summary: "Re-send many notifications by filter",
		description:
			"Every notification matching the filter (default status `failed`) whose webhook exists and is enabled starts a fresh manual series, up to 10,000 per call (call again while count is 10,000). Large sets are enqueued in fan-out messages, so 10,000 cost a handful of queue calls.",
		request: { body: jsonBody(BulkResend) },
		responses: {
			202: json(z.object({ count: z.number().int() }), "How many were queued"),
			...problems(400, 401, 403, 415, 503),
		},
	}),
	async (c) => {
		const q = c.req.valid("json");
		const rows = await bulkResend(c.env, q);
		return c.json({ count: rows.length }, 202);
	},
);
