// Trying a webhook out: a synthetic test event through the whole pipeline, and a
// preview that renders the request for a sample event without sending it.
import { createRoute, z } from "@hono/zod-openapi";
import { readConfig } from "../../config";
import { ingestEvent } from "../../events/ingest";
import { EventData, EventType, IngestResult } from "../../events/schema";
import { StoredRequestSchema } from "../../history/schema";
import { ProblemError, validationProblem } from "../../http/problem";
import { json, jsonBody, newRouter, problems } from "../../http/router";
import { sampleView, shapeOrProblem } from "../check";
import { definedOnly, patchedFields, type WebhookFields, WebhookPatch, withDefaults } from "../schema";
import { findWebhook } from "../service";
import { manageSecurity, Params, tags } from "./openapi";

export const trialRoutes = newRouter();

trialRoutes.openapi(
	createRoute({
		method: "post",
		path: "/{id}/test",
		tags,
		security: manageSecurity,
		summary: "Send a synthetic webhook.test event to this webhook only",
		description: "The event goes through the normal pipeline: stored, enqueued, delivered and listed in the history.",
		request: { params: Params },
		responses: {
			202: json(IngestResult, "Accepted: the test event and its one notification"),
			...problems(401, 403, 404, 409, 503),
		},
	}),
	async (c) => {
		const webhook = await findWebhook(c.var.access.shard, c.var.access.tenantId, c.req.valid("param").id);
		if (!webhook.enabled)
			throw new ProblemError(409, `Webhook ${webhook.id} is disabled; enable it to send a test event.`);
		const { result } = await ingestEvent(
			c.var.access.shard,
			c.var.access.tenantId,
			{ type: "webhook.test", data: { webhookId: webhook.id, message: "A test event sent from Hookline." } },
			{ webhookId: webhook.id },
		);
		return c.json(result, 202);
	},
);

const PreviewInput = z
	.object({
		webhookId: z.string().max(200).optional().openapi({ description: "Start from this webhook's stored fields" }),
		webhook: WebhookPatch.optional().openapi({
			description: "Fields to preview (over the stored ones, if webhookId is given)",
		}),
		event: z
			.object({
				type: EventType.optional(),
				data: EventData.optional(),
				occurredAt: z.iso.datetime({ offset: true }).optional(),
			})
			.strict()
			.optional()
			.openapi({ description: "The sample event; data defaults to {}" }),
	})
	.strict()
	.openapi("PreviewInput");

/** The request a notification for the sample event would send, and the headers only sending adds. */
export const WebhookPreview = z.object({ request: StoredRequestSchema, addedAtSend: z.array(z.string()) });

trialRoutes.openapi(
	createRoute({
		method: "post",
		path: "/preview",
		tags,
		security: manageSecurity,
		summary: "Render a webhook's templates against a sample event",
		description:
			"Returns the request Hookline would store and send, without sending it, or a 400 naming each template error with its position. Signature and Basic-auth headers are added at send time and listed in addedAtSend.",
		request: { body: jsonBody(PreviewInput) },
		responses: {
			200: json(WebhookPreview, "The request a notification for this event would send"),
			...problems(400, 401, 403, 404, 415, 503),
		},
	}),
	async (c) => {
		const input = c.req.valid("json");
		const stored = input.webhookId
			? await findWebhook(c.var.access.shard, c.var.access.tenantId, input.webhookId)
			: undefined;
		const fields: WebhookFields = stored
			? patchedFields(stored, input.webhook)
			: withDefaults({ name: "preview", eventTypes: ["*"], url: "", ...definedOnly(input.webhook ?? {}) });
		if (!fields.url) throw validationProblem([{ path: "webhook.url", message: "is required without webhookId" }]);
		const view = sampleView({ ...fields, id: stored?.id ?? "wh_preview" }, input.event, "ntf_preview");
		const request = shapeOrProblem(fields, view, { policy: readConfig(c.var.access.shard).targetPolicy });
		return c.json(
			{
				request,
				addedAtSend: [
					"webhook-id",
					"webhook-timestamp",
					"webhook-signature",
					...(fields.auth ? ["authorization"] : []),
				],
			},
			200,
		);
	},
);
