// /v1/webhooks/:id/replay: notifications for past events the webhook never had.
import { createRoute, z } from "@hono/zod-openapi";
import { MAX_REPLAY, replayToWebhook } from "../../events/replay";
import { ProblemError, validationProblem } from "../../http/problem";
import { json, jsonBody, newRouter, problems } from "../../http/router";
import { EventTypePattern } from "../schema";
import { findWebhook } from "../service";
import { manageSecurity, Params, tags } from "./openapi";

export const replayRoutes = newRouter();

const ReplayInput = z
	.object({
		since: z.iso.datetime({ offset: true }).openapi({ example: "2026-11-28T12:00:00Z" }),
		until: z.iso.datetime({ offset: true }).optional().openapi({ description: "Default: now" }),
		eventTypes: z
			.array(EventTypePattern)
			.min(1)
			.max(100)
			.optional()
			.openapi({ description: "Only these types (patterns as in a webhook's filter), within the webhook's filter" }),
	})
	.strict()
	.openapi("ReplayInput");

const ReplayResult = z
	.object({
		count: z.number().int().openapi({ description: "Notifications created and enqueued" }),
		more: z
			.boolean()
			.openapi({ description: `The window holds more than one call replays (${MAX_REPLAY}): call again` }),
	})
	.openapi("ReplayResult");

replayRoutes.openapi(
	createRoute({
		method: "post",
		path: "/{id}/replay",
		tags,
		security: manageSecurity,
		summary: "Replay past events to the webhook",
		description: `Creates a notification for each event stored in the window [since, until) that matches the webhook's filter (and \`eventTypes\`, if given) and that the webhook has no notification for yet, oldest first, and delivers them like new ones. At most ${MAX_REPLAY} per call; \`more: true\` says the window holds more, so call again with the same window. Replaying a window again creates nothing new. Test events are not replayed.`,
		request: { params: Params, body: jsonBody(ReplayInput) },
		responses: { 202: json(ReplayResult, "Created and enqueued"), ...problems(400, 401, 403, 404, 409, 415, 503) },
	}),
	async (c) => {
		const input = c.req.valid("json");
		const now = Date.now();
		const since = Date.parse(input.since);
		const until = input.until ? Date.parse(input.until) : now;
		if (until <= since) throw validationProblem([{ path: "until", message: "must be after since" }]);
		const webhook = await findWebhook(c.var.access.shard, c.var.access.tenantId, c.req.valid("param").id);
		if (!webhook.enabled) throw new ProblemError(409, `Webhook ${webhook.id} is disabled; enable it first.`);
		const result = await replayToWebhook(c.var.access.shard, webhook, { since, until, eventTypes: input.eventTypes });
		console.log(JSON.stringify({ msg: "replay", webhookId: webhook.id, since, until, ...result }));
		return c.json(result, 202);
	},
);
