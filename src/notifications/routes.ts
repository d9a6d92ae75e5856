// /v1/notifications: the communication history.
import { createRoute } from "@hono/zod-openapi";
import { and, asc, desc, eq, gte, lt } from "drizzle-orm";
import { database } from "../db";
import { attempts, events, notifications } from "../db/schema";
import { bearerAuth } from "../http/auth";
import { decodeCursor, PageQuery, page, pageOf } from "../http/pagination";
import { ProblemError } from "../http/problem";
import { IdParam, json, newRouter, problems } from "../http/router";
import { iso } from "../webhooks/schema";
import { Notification, NotificationDetail, NotificationFilter, toAttempt, toNotification } from "./schema";

export const notificationRoutes = newRouter();
notificationRoutes.use("*", bearerAuth({ allow: ["admin"] }));

const tags = ["notifications"];
const security = [{ bearer: [] }];

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
