// /v1/notifications: the communication history.
import { createRoute, z } from "@hono/zod-openapi";
import { authorize } from "../access/authorize";
import { decodeCursor, PageQuery, page, pageOf } from "../http/pagination";
import { ProblemError } from "../http/problem";
import { IdParam, json, jsonBody, newRouter, problems } from "../http/router";
import { iso } from "../iso";
import { listNotifications, readNotification } from "./read";
import { countResendable, resendMatching, resendOne } from "./resend";
import { BulkResend, Notification, NotificationDetail, NotificationFilter, toAttempt, toNotification } from "./schema";

export const ResendCount = z.object({ count: z.number().int() }).openapi("ResendCount");

export const notificationRoutes = newRouter();
notificationRoutes.use("*", authorize());

const tags = ["notifications"];
const security = [{ bearer: ["read"] }];
const manage = [{ bearer: ["manage"] }];

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
		const q = { ...c.req.valid("query"), tenantId: c.var.access.tenantId };
		const rows = await listNotifications(c.var.access.shard, q, { after: decodeCursor(q.cursor), limit: q.limit });
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
		const found = await readNotification(c.var.access.shard, c.var.access.tenantId, id);
		if (!found) throw new ProblemError(404, `No notification ${id}.`);
		const { notification: row, attempts: tries, event } = found;
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

notificationRoutes.openapi(
	createRoute({
		method: "post",
		path: "/{id}/resend",
		tags,
		security: manage,
		summary: "Re-send a notification now",
		description:
			"Starts a fresh series of attempts (trigger `manual`) that sends the stored body and headers byte for byte, with the same idempotency key, to the webhook's current URL.",
		request: { params: IdParam("notification id", "ntf_01JD0Z4N6V7W8X9Y0Z1A2B3C4D") },
		responses: {
			202: json(Notification, "Queued for a new series of attempts"),
			...problems(401, 403, 404, 409, 503),
		},
	}),
	async (c) => {
		const updated = await resendOne(c.var.access.shard, c.var.access.tenantId, c.req.valid("param").id);
		return c.json(toNotification(updated), 202);
	},
);

notificationRoutes.openapi(
	createRoute({
		method: "post",
		path: "/resend",
		tags,
		security: manage,
		summary: "Re-send many notifications by filter",
		description:
			"Every notification matching the filter (default status `failed`) whose webhook exists and is enabled starts a fresh manual series, up to 10,000 per call (call again while count is 10,000). Large sets are enqueued in fan-out messages, so 10,000 cost a handful of queue calls. With `dryRun: true` nothing moves and the answer (200) is how many would.",
		request: { body: jsonBody(BulkResend) },
		responses: {
			200: json(ResendCount, "With dryRun: how many a re-send would queue now"),
			202: json(ResendCount, "How many were queued"),
			...problems(400, 401, 403, 415, 503),
		},
	}),
	async (c) => {
		const { dryRun, ...filter } = c.req.valid("json");
		const q = { ...filter, tenantId: c.var.access.tenantId };
		if (dryRun) return c.json({ count: await countResendable(c.var.access.shard, q) }, 200);
		return c.json({ count: await resendMatching(c.var.access.shard, q) }, 202);
	},
);
