// /v1/webhooks: create, list, read, change, delete, rotate the signing secret.
import { createRoute, z } from "@hono/zod-openapi";
import { and, count, desc, eq, inArray, isNull, lt } from "drizzle-orm";
import { DEFAULT_ROTATION_WINDOW_SECONDS, readConfig } from "../config";
import { database } from "../db";
import { notifications, type WebhookRow, webhooks } from "../db/schema";
import { ingestEvent } from "../events/ingest";
import { EventType, IngestResult } from "../events/schema";
import type { GateHealth } from "../gate";
import { bearerAuth } from "../http/auth";
import { decodeCursor, PageQuery, page, pageOf } from "../http/pagination";
import { ProblemError, validationProblem } from "../http/problem";
import { IdParam, json, jsonBody, newRouter, problems } from "../http/router";
import { newId } from "../ids";
import { bulkResend } from "../notifications/routes";
import { StoredRequestSchema } from "../notifications/schema";
import { newSigningSecret, seal } from "../secrets";
import { checkTemplates, sampleView, shapeOrProblem } from "./check";
import { disableStatements } from "./disable";
import {
	definedOnly,
	iso,
	patchedFields,
	toWebhook,
	Webhook,
	WebhookCreate,
	type WebhookFields,
	WebhookHealth,
	WebhookListed,
	WebhookPatch,
	WebhookWithSecret,
	withDefaults,
} from "./schema";

export const webhookRoutes = newRouter();
webhookRoutes.use("*", bearerAuth({ allow: ["admin"] }));

const tags = ["webhooks"];
const security = [{ bearer: [] }];
const Params = IdParam("webhook id", "wh_01JD0Z4N6V7W8X9Y0Z1A2B3C4D");

export const findWebhook = async (env: Env, id: string) => {
	const row = await database(env).query.webhooks.findFirst({
		where: and(eq(webhooks.id, id), isNull(webhooks.deletedAt)),
	});
	if (!row) throw new ProblemError(404, `No webhook ${id}.`);
	return row;
};

/** The columns a webhook's fields are stored in; secrets sealed. */
const toColumns = async (fields: WebhookFields, encryptionKey: string, current?: WebhookRow) => ({
	name: fields.name,
	enabled: fields.enabled,
	eventTypes: fields.eventTypes,
	method: fields.method,
	url: fields.url,
	contentType: fields.contentType,
	headers: fields.headers,
	payloadTemplate: fields.payloadTemplate,
	authUsername: fields.auth?.username ?? null,
	authPasswordSealed: fields.auth
		? fields.auth.password === "" && current?.authPasswordSealed
			? current.authPasswordSealed
			: await seal(fields.auth.password, encryptionKey)
		: null,
	retryDelaysSeconds: fields.retryPolicy.delaysSeconds,
	timeoutMs: fields.timeoutMs,
	maxConcurrency: fields.maxConcurrency,
	failureThreshold: fields.failureThreshold,
	rateLimitPerSecond: fields.rateLimitPerSecond,
	disableAfterHours: fields.disableAfterHours,
});

webhookRoutes.openapi(
	createRoute({
		method: "post",
		path: "/",
		tags,
		security,
		summary: "Create a webhook",
		request: { body: jsonBody(WebhookCreate) },
		responses: {
			201: json(WebhookWithSecret, "The webhook, with its signing secret (shown only here and on rotate)"),
			...problems(400, 401, 403, 415, 503),
		},
	}),
	async (c) => {
		const config = readConfig(c.env);
		const fields = withDefaults(c.req.valid("json"));
		const id = newId("wh");
		checkTemplates({ ...fields, id }, { policy: config.targetPolicy });
		const secret = newSigningSecret();
		const now = Date.now();
		const [row] = await database(c.env)
			.insert(webhooks)
			.values({
				id,
				...(await toColumns(fields, config.encryptionKey)),
				secretSealed: await seal(secret, config.encryptionKey),
				createdAt: now,
				updatedAt: now,
			})
			.returning();
		return c.json({ ...toWebhook(row as WebhookRow), secret }, 201, { location: `/v1/webhooks/${id}` });
	},
);

webhookRoutes.openapi(
	createRoute({
		method: "get",
		path: "/",
		tags,
		security,
		summary: "List webhooks, newest first",
		description:
			"Each webhook comes with a health summary from its endpoint gate: circuit state, consecutive failures, success rate over the last hour, last success and failure, paused notifications.",
		request: {
			query: PageQuery.extend({
				health: z
					.enum(["true", "false"])
					.default("true")
					.openapi({ description: "false: leave out the health summaries (no gate is asked)" }),
			}),
		},
		responses: { 200: json(pageOf(WebhookListed), "A page of webhooks"), ...problems(400, 401, 403, 503) },
	}),
	async (c) => {
		const { limit, cursor, health } = c.req.valid("query");
		const after = decodeCursor(cursor);
		const rows = await database(c.env)
			.select()
			.from(webhooks)
			.where(and(isNull(webhooks.deletedAt), after ? lt(webhooks.id, after) : undefined))
			.orderBy(desc(webhooks.id))
			.limit(limit + 1);
		const { data, nextCursor } = page(rows, limit);
		if (health === "false") return c.json({ data: data.map(toWebhook), nextCursor }, 200);
		// One gate that cannot answer shows as null; the list still answers.
		const healths = await Promise.allSettled(data.map((row) => gateOf(c.env, row.id).health()));
		return c.json(
			{
				data: data.map((row, i) => {
					const h = healths[i];
					return { ...toWebhook(row), health: h?.status === "fulfilled" ? summaryOf(h.value as GateHealth) : null };
				}),
				nextCursor,
			},
			200,
		);
	},
);

webhookRoutes.openapi(
	createRoute({
		method: "get",
		path: "/{id}",
		tags,
		security,
		summary: "Read a webhook",
		request: { params: Params },
		responses: { 200: json(Webhook, "The webhook"), ...problems(401, 403, 404, 503) },
	}),
	async (c) => c.json(toWebhook(await findWebhook(c.env, c.req.valid("param").id)), 200),
);

webhookRoutes.openapi(
	createRoute({
		method: "patch",
		path: "/{id}",
		tags,
		security,
		summary: "Change a webhook",
		description:
			"Fields not sent stay as they are. `auth` with an empty password keeps the stored password. Notifications already sent keep their stored request.",
		request: { params: Params, body: jsonBody(WebhookPatch) },
		responses: { 200: json(Webhook, "The changed webhook"), ...problems(400, 401, 403, 404, 415, 503) },
	}),
	async (c) => {
		const config = readConfig(c.env);
		const current = await findWebhook(c.env, c.req.valid("param").id);
		const patch = c.req.valid("json");
		const fields = patchedFields(current, patch);
		checkTemplates({ ...fields, id: current.id }, { policy: config.targetPolicy });
		const now = Date.now();
		const db = database(c.env);
		// `enabled` is written only when the patch sets it, so a PATCH of other fields never
		// undoes a disable (410, circuit) that happened since the webhook was read.
		const { enabled: _enabled, ...columns } = await toColumns(fields, config.encryptionKey, current);
		const [updated] = await db.batch([
			db
				.update(webhooks)
				.set({
					...columns,
					...(patch.enabled === undefined ? {} : { enabled: patch.enabled }),
					updatedAt: now,
					// Enabling clears why it was disabled; disabling here records that an operator did.
					...(fields.enabled && !current.enabled ? { disabledReason: null, disabledAt: null } : {}),
					...(!fields.enabled && current.enabled
						? { disabledReason: "disabled through the API", disabledAt: now }
						: {}),
				})
				.where(eq(webhooks.id, current.id))
				.returning(),
			...(!fields.enabled && current.enabled
				? disableStatements(c.env, current.id, { reason: "disabled through the API", at: now }).slice(1)
				: []),
		]);
		if (fields.enabled && !current.enabled) await gateOf(c.env, current.id).reset();
		if (!fields.enabled && current.enabled) await gateOf(c.env, current.id).disabled(now);
		return c.json(toWebhook(updated[0] as WebhookRow), 200);
	},
);

webhookRoutes.openapi(
	createRoute({
		method: "delete",
		path: "/{id}",
		tags,
		security,
		summary: "Delete a webhook",
		description: "Stops its pending deliveries (they end `failed`); its history stays readable.",
		request: { params: Params },
		responses: { 204: { description: "Deleted" }, ...problems(401, 403, 404, 503) },
	}),
	async (c) => {
		const current = await findWebhook(c.env, c.req.valid("param").id);
		const now = Date.now();
		const db = database(c.env);
		await db.batch([
			db.update(webhooks).set({ deletedAt: now, updatedAt: now }).where(eq(webhooks.id, current.id)),
			db
				.update(notifications)
				.set({ status: "failed", lastError: "webhook deleted", nextAttemptAt: null, updatedAt: now })
				.where(
					and(
						eq(notifications.webhookId, current.id),
						inArray(notifications.status, ["pending", "retrying", "paused"]),
					),
				),
		]);
		// Its gate stops probing and releasing; what waited there ended failed above.
		await gateOf(c.env, current.id).disabled(now);
		return c.body(null, 204);
	},
);

const RotateInput = z
	.object({
		previousSecretTtlSeconds: z
			.number()
			.int()
			.min(0)
			.max(7 * 86_400)
			.default(DEFAULT_ROTATION_WINDOW_SECONDS)
			.openapi({ description: "How long requests stay signed with the old secret too (0 ends it now)" }),
	})
	.strict()
	.openapi("RotateSecret");

webhookRoutes.openapi(
	createRoute({
		method: "post",
		path: "/{id}/rotate-secret",
		tags,
		security,
		summary: "Rotate the signing secret",
		description:
			"Returns the new whsec_ secret once. Until the window closes, requests carry both signatures, space-separated, so receivers can switch without losing a request.",
		request: {
			params: Params,
			body: { required: false, content: { "application/json": { schema: RotateInput } } },
		},
		responses: {
			200: json(
				z.object({ secret: z.string(), previousSecretExpiresAt: z.string().datetime().nullable() }),
				"The new whsec_ secret, shown only here",
			),
			...problems(400, 401, 403, 404, 415, 503),
		},
	}),
	async (c) => {
		const current = await findWebhook(c.env, c.req.valid("param").id);
		const { previousSecretTtlSeconds } = RotateInput.parse(c.req.valid("json") ?? {});
		const secret = newSigningSecret();
		const now = Date.now();
		const expiresAt = previousSecretTtlSeconds > 0 ? now + previousSecretTtlSeconds * 1000 : null;
		await database(c.env)
			.update(webhooks)
			.set({
				secretSealed: await seal(secret, readConfig(c.env).encryptionKey),
				previousSecretSealed: expiresAt ? current.secretSealed : null,
				previousSecretExpiresAt: expiresAt,
				updatedAt: now,
			})
			.where(eq(webhooks.id, current.id));
		return c.json({ secret, previousSecretExpiresAt: expiresAt ? iso(expiresAt) : null }, 200);
	},
);

webhookRoutes.openapi(
	createRoute({
		method: "post",
		path: "/{id}/test",
		tags,
		security,
		summary: "Send a synthetic webhook.test event to this webhook only",
		description: "The event goes through the normal pipeline: stored, enqueued, delivered and listed in the history.",
		request: { params: Params },
		responses: {
			202: json(IngestResult, "Accepted: the test event and its one notification"),
			...problems(401, 403, 404, 409, 503),
		},
	}),
	async (c) => {
		const webhook = await findWebhook(c.env, c.req.valid("param").id);
		if (!webhook.enabled)
			throw new ProblemError(409, `Webhook ${webhook.id} is disabled; enable it to send a test event.`);
		const { result } = await ingestEvent(
			c.env,
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
				data: z.record(z.string(), z.unknown()).optional(),
				occurredAt: z.iso.datetime({ offset: true }).optional(),
			})
			.strict()
			.optional()
			.openapi({ description: "The sample event; data defaults to {}" }),
	})
	.strict()
	.openapi("PreviewInput");

webhookRoutes.openapi(
	createRoute({
		method: "post",
		path: "/preview",
		tags,
		security,
		summary: "Render a webhook's templates against a sample event",
		description:
			"Returns the request Hookline would store and send, without sending it, or a 400 naming each template error with its position. Signature and Basic-auth headers are added at send time and listed in addedAtSend.",
		request: { body: jsonBody(PreviewInput) },
		responses: {
			200: json(
				z.object({ request: StoredRequestSchema, addedAtSend: z.array(z.string()) }),
				"The request a notification for this event would send",
			),
			...problems(400, 401, 403, 404, 415, 503),
		},
	}),
	async (c) => {
		const input = c.req.valid("json");
		const stored = input.webhookId ? await findWebhook(c.env, input.webhookId) : undefined;
		const fields: WebhookFields = stored
			? patchedFields(stored, input.webhook)
			: withDefaults({ name: "preview", eventTypes: ["*"], url: "", ...definedOnly(input.webhook ?? {}) });
		if (!fields.url) throw validationProblem([{ path: "webhook.url", message: "is required without webhookId" }]);
		const view = sampleView({ ...fields, id: stored?.id ?? "wh_preview" }, input.event, "ntf_preview");
		const request = shapeOrProblem(fields, view, { policy: readConfig(c.env).targetPolicy });
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

const gateOf = (env: Env, webhookId: string) => env.ENDPOINT_GATE.get(env.ENDPOINT_GATE.idFromName(webhookId));

const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

const summaryOf = (h: GateHealth) => ({
	circuit: h.circuit.state,
	consecutiveFailures: h.circuit.consecutiveFailures,
	successRateLastHour: h.lastHour.successRate,
	lastSuccessAt: isoOrNull(h.lastSuccessAt),
	lastFailureAt: isoOrNull(h.lastFailureAt),
	paused: h.paused,
});

webhookRoutes.openapi(
	createRoute({
		method: "get",
		path: "/{id}/health",
		tags,
		security,
		summary: "The receiver's health",
		description:
			"Circuit state, consecutive failures, last success and failure, success rate and p50/p95 latency over the last hour and day (from the endpoint gate), and the notifications waiting (from the history).",
		request: { params: Params },
		responses: { 200: json(WebhookHealth, "The webhook's health"), ...problems(401, 403, 404, 503) },
	}),
	async (c) => {
		const webhook = await findWebhook(c.env, c.req.valid("param").id);
		const [health, counts] = await Promise.all([
			gateOf(c.env, webhook.id).health(),
			database(c.env)
				.select({ status: notifications.status, n: count() })
				.from(notifications)
				.where(
					and(
						eq(notifications.webhookId, webhook.id),
						inArray(notifications.status, ["pending", "retrying", "paused", "skipped"]),
					),
				)
				.groupBy(notifications.status),
		]);
		const backlog = { pending: 0, retrying: 0, paused: 0, skipped: 0 };
		for (const r of counts) backlog[r.status as keyof typeof backlog] = r.n;
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

webhookRoutes.openapi(
	createRoute({
		method: "post",
		path: "/{id}/enable",
		tags,
		security,
		summary: "Enable a webhook again",
		description:
			"Clears the reason it was disabled, closes its circuit, and answers how many notifications were skipped meanwhile. With `resendSkipped: true` they are re-sent now; otherwise `POST /v1/notifications/resend` with `status: skipped` does it later.",
		request: { params: Params, body: { ...jsonBody(EnableInput), required: false } },
		responses: {
			200: json(
				Webhook.extend({
					skipped: z.number().int().openapi({ description: "Skipped notifications not re-sent (yet)" }),
					resent: z.number().int().openapi({ description: "Skipped notifications re-sent by this call" }),
				}),
				"The enabled webhook",
			),
			...problems(400, 401, 403, 404, 415, 503),
		},
	}),
	async (c) => {
		const current = await findWebhook(c.env, c.req.valid("param").id);
		const { resendSkipped } = c.req.valid("json") ?? { resendSkipped: false };
		const now = Date.now();
		const db = database(c.env);
		const [row] = await db
			.update(webhooks)
			.set({ enabled: true, disabledReason: null, disabledAt: null, updatedAt: now })
			.where(eq(webhooks.id, current.id))
			.returning();
		await gateOf(c.env, current.id).reset();
		const resent = resendSkipped
			? (await bulkResend(c.env, { webhookId: current.id, status: "skipped" }, now)).length
			: 0;
		const [skipped] = await db
			.select({ n: count() })
			.from(notifications)
			.where(and(eq(notifications.webhookId, current.id), eq(notifications.status, "skipped")));
		return c.json({ ...toWebhook(row as WebhookRow), skipped: skipped?.n ?? 0, resent }, 200);
	},
);
