import { z } from "@hono/zod-openapi";
import { type AttemptRow, type NotificationRow, notificationStatuses } from "../db/schema";
import { iso, isoOrNull } from "../iso";
import { RESENDABLE } from "./status";

export const Notification = z
	.object({
		id: z.string().openapi({ example: "ntf_01JD0Z4N6V7W8X9Y0Z1A2B3C4D" }),
		eventId: z.string(),
		webhookId: z.string(),
		eventType: z.string(),
		status: z.enum(notificationStatuses),
		attemptCount: z.number().int().openapi({ description: "Attempts spent in the current series" }),
		series: z
			.number()
			.int()
			.openapi({ description: "0 for the automatic series; each manual re-send starts the next" }),
		trigger: z.enum(["auto", "manual"]).openapi({ description: "What started the current series" }),
		lastError: z.string().nullable(),
		nextAttemptAt: z.string().datetime().nullable(),
		deliveredAt: z.string().datetime().nullable(),
		createdAt: z.string().datetime(),
		updatedAt: z.string().datetime(),
	})
	.openapi("Notification");

export const Attempt = z
	.object({
		id: z.string(),
		series: z.number().int(),
		number: z.number().int(),
		trigger: z.enum(["auto", "manual"]),
		startedAt: z.string().datetime(),
		durationMs: z.number().int(),
		succeeded: z.boolean(),
		statusCode: z.number().int().nullable(),
		errorKind: z.string().nullable().openapi({
			description:
				"http, redirect, timeout, network, invalid_request, blocked (the target policy refused the URL) or proxy (the egress proxy could not be used); null on success",
		}),
		error: z.string().nullable(),
		responseExcerpt: z.string().nullable().openapi({ description: "The first 4 KiB of the answer" }),
		url: z.string().nullable().openapi({
			description:
				"Where this attempt went: the webhook's URL at the time, which may differ from the stored request's when the webhook's URL changed since; null when nothing was sent",
		}),
	})
	.openapi("Attempt");

export const StoredRequestSchema = z
	.object({
		method: z.string(),
		url: z.string(),
		headers: z.record(z.string(), z.string()),
		body: z.string(),
	})
	.openapi("StoredRequest", {
		description: "The request as computed at send-out; secrets are added at send time and not shown.",
	});

export const NotificationDetail = Notification.extend({
	event: z.object({
		id: z.string(),
		type: z.string(),
		occurredAt: z.string().datetime(),
		data: z.record(z.string(), z.unknown()),
	}),
	request: StoredRequestSchema.nullable().openapi({ description: "null until the first send-out" }),
	attempts: z.array(Attempt).openapi({ description: "Oldest first" }),
}).openapi("NotificationDetail");

export const NotificationFilter = z.object({
	webhookId: z.string().max(200).optional(),
	eventId: z.string().max(200).optional(),
	eventType: z.string().max(200).optional(),
	status: z.enum(notificationStatuses).optional(),
	since: z.iso.datetime({ offset: true }).optional().openapi({ description: "Created at or after" }),
	until: z.iso.datetime({ offset: true }).optional().openapi({ description: "Created before" }),
});

export const toNotification = (row: NotificationRow): z.infer<typeof Notification> => ({
	id: row.id,
	eventId: row.eventId,
	webhookId: row.webhookId,
	eventType: row.eventType,
	status: row.status,
	attemptCount: row.attemptCount,
	series: row.series,
	trigger: row.trigger,
	lastError: row.lastError,
	nextAttemptAt: isoOrNull(row.nextAttemptAt),
	deliveredAt: isoOrNull(row.deliveredAt),
	createdAt: iso(row.createdAt),
	updatedAt: iso(row.updatedAt),
});

export const toAttempt = (row: AttemptRow): z.infer<typeof Attempt> => ({
	id: row.id,
	series: row.series,
	number: row.number,
	trigger: row.trigger,
	startedAt: iso(row.startedAt),
	durationMs: row.durationMs,
	succeeded: row.succeeded,
	statusCode: row.statusCode,
	errorKind: row.errorKind,
	error: row.error,
	responseExcerpt: row.responseExcerpt,
	url: row.url,
});

export const BulkResend = z
	.object({
		ids: z.array(z.string().max(200)).min(1).max(1000).optional().openapi({ description: "Only these notifications" }),
		webhookId: z.string().max(200).optional(),
		eventType: z.string().max(200).optional(),
		status: z.enum(RESENDABLE).default("failed"),
		since: z.iso.datetime({ offset: true }).optional().openapi({ description: "Created at or after" }),
		until: z.iso.datetime({ offset: true }).optional().openapi({ description: "Created before" }),
		dryRun: z
			.boolean()
			.default(false)
			.openapi({ description: "Move nothing; answer how many would be re-sent (the count a console shows first)" }),
	})
	.strict()
	.openapi("BulkResend");
