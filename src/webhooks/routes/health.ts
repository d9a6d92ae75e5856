// A webhook's endpoint health (from its gate and its history), and enabling it again.
import { createRoute, z } from "@hono/zod-openapi";
import { waitUntilOf } from "../../access/authorize";
import { gateOf } from "../../gate";
import { json, jsonBody, newRouter, problems } from "../../http/router";
import { isoOrNull } from "../../iso";
import { WebhookHealth } from "../health-schema";
import { regionOfTenant } from "../region";
import { toWebhook, Webhook } from "../schema";
import { backlogOf, enableWebhook, findWebhook } from "../service";
import { manageSecurity, Params, readSecurity, tags } from "./openapi";

export const healthRoutes = newRouter();

healthRoutes.openapi(
	createRoute({
		method: "get",
		path: "/{id}/health",
		tags,
		security: readSecurity,
		summary: "The receiver's health",
		description:
			"Circuit state, consecutive failures, last success and failure, success rate and p50/p95 latency over the last hour and day (from the endpoint gate), and the notifications waiting (from the history).",
		request: { params: Params },
		responses: { 200: json(WebhookHealth, "The webhook's health"), ...problems(401, 403, 404, 503) },
	}),
	async (c) => {
		const webhook = await findWebhook(c.var.access.shard, c.var.access.tenantId, c.req.valid("param").id);
		const [health, backlog] = await Promise.all([
			gateOf(c.var.access.shard, webhook.id).health(),
			backlogOf(c.var.access.shard, webhook.id),
		]);
		return c.json(
			{
				enabled: webhook.enabled,
				disabledReason: webhook.disabledReason,
				disabledAt: isoOrNull(webhook.disabledAt),
				circuit: {
					...health.circuit,
					openedAt: isoOrNull(health.circuit.openedAt),
					nextProbeAt: isoOrNull(health.circuit.nextProbeAt),
				},
				lastSuccessAt: isoOrNull(health.lastSuccessAt),
				lastFailureAt: isoOrNull(health.lastFailureAt),
				lastError: health.lastError,
				lastHour: health.lastHour,
				lastDay: health.lastDay,
				backlog,
			},
			200,
		);
	},
);

const EnableInput = z
	.object({
		resendSkipped: z.boolean().default(false).openapi({
			description: "Also re-send the notifications skipped while the webhook was disabled (up to 10,000 per call)",
		}),
	})
	.strict()
	.openapi("EnableWebhook");

export const EnabledWebhook = Webhook.extend({
	skipped: z.number().int().openapi({ description: "Skipped notifications not re-sent (yet)" }),
	resent: z.number().int().openapi({ description: "Skipped notifications re-sent by this call" }),
});

healthRoutes.openapi(
	createRoute({
		method: "post",
		path: "/{id}/enable",
		tags,
		security: manageSecurity,
		summary: "Enable a webhook again",
		description:
			"Clears the reason it was disabled, closes its circuit, and answers how many notifications were skipped meanwhile. With `resendSkipped: true` they are re-sent now; otherwise `POST /v1/notifications/resend` with `status: skipped` does it later.",
		request: { params: Params, body: { ...jsonBody(EnableInput), required: false } },
		responses: {
			200: json(EnabledWebhook, "The enabled webhook"),
			...problems(400, 401, 403, 404, 415, 503),
		},
	}),
	async (c) => {
		const current = await findWebhook(c.var.access.shard, c.var.access.tenantId, c.req.valid("param").id);
		const { resendSkipped } = c.req.valid("json") ?? { resendSkipped: false };
		const { webhook, skipped, resent } = await enableWebhook(c.var.access.shard, current.id, { resendSkipped });
		const tenantRegion = await regionOfTenant(c.env, c.var.access.tenantId, waitUntilOf(c));
		return c.json({ ...toWebhook(webhook, tenantRegion), skipped, resent }, 200);
	},
);
