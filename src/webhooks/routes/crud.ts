// /v1/webhooks: create, list, read, change and delete webhooks.
import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, isNull, lt } from "drizzle-orm";
import { waitUntilOf } from "../../access/authorize";
import { readConfig } from "../../config";
import { database } from "../../db";
import { type WebhookRow, webhooks } from "../../db/schema";
import type { GateHealth } from "../../gate";
import { gateOf } from "../../gate";
import { decodeCursor, PageQuery, page, pageOf } from "../../http/pagination";
import { json, jsonBody, newRouter, problems } from "../../http/router";
import { newId } from "../../ids";
import { isoOrNull } from "../../iso";
import { newSigningSecret, seal } from "../../secrets";
import { checkTemplates } from "../check";
import { filterStatements } from "../filters";
import { checkRegion, regionOfTenant } from "../region";
import {
	patchedFields,
	toWebhook,
	Webhook,
	WebhookCreate,
	type WebhookFields,
	WebhookListed,
	WebhookPatch,
	WebhookWithSecret,
	withDefaults,
} from "../schema";
import { resealRow, resealUpdate } from "../sealing";
import { changeWebhook, deleteWebhook, findWebhook } from "../service";
import { manageSecurity, Params, readSecurity, tags } from "./openapi";

export const crudRoutes = newRouter();

/** The columns a webhook's fields are stored in; the password sealed, bound to its webhook. */
const toColumns = async (fields: WebhookFields, encryptionKey: string, id: string, current?: WebhookRow) => ({
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
			: await seal(fields.auth.password, encryptionKey, { webhookId: id, column: "auth_password" })
		: null,
	retryDelaysSeconds: fields.retryPolicy.delaysSeconds,
	timeoutMs: fields.timeoutMs,
	maxConcurrency: fields.maxConcurrency,
	failureThreshold: fields.failureThreshold,
	rateLimitPerSecond: fields.rateLimitPerSecond,
	disableAfterHours: fields.disableAfterHours,
	region: fields.region,
});

crudRoutes.openapi(
	createRoute({
		method: "post",
		path: "/",
		tags,
		security: manageSecurity,
		summary: "Create a webhook",
		request: { body: jsonBody(WebhookCreate) },
		responses: {
			201: json(WebhookWithSecret, "The webhook, with its signing secret (shown only here and on rotate)"),
			...problems(400, 401, 403, 415, 503),
		},
	}),
	async (c) => {
		const config = readConfig(c.var.access.shard);
		const fields = withDefaults(c.req.valid("json"));
		const id = newId("wh");
		checkTemplates({ ...fields, id }, { policy: config.targetPolicy });
		checkRegion(c.env, fields.region);
		const secret = newSigningSecret();
		const now = Date.now();
		const db = database(c.var.access.shard);
		const { tenantId } = c.var.access;
		const [[row]] = await db.batch([
			db
				.insert(webhooks)
				.values({
					id,
					tenantId,
					...(await toColumns(fields, config.encryptionKey, id)),
					secretSealed: await seal(secret, config.encryptionKey, { webhookId: id, column: "secret" }),
					createdAt: now,
					updatedAt: now,
				})
				.returning(),
			...filterStatements(c.var.access.shard, { id, tenantId, eventTypes: fields.eventTypes }),
		]);
		const tenantRegion = await regionOfTenant(c.env, tenantId, waitUntilOf(c));
		return c.json({ ...toWebhook(row as WebhookRow, tenantRegion), secret }, 201, {
			location: `${c.req.path.replace(/\/$/, "")}/${id}`,
		});
	},
);

crudRoutes.openapi(
	createRoute({
		method: "get",
		path: "/",
		tags,
		security: readSecurity,
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
		const rows = await database(c.var.access.shard)
			.select()
			.from(webhooks)
			.where(
				and(
					eq(webhooks.tenantId, c.var.access.tenantId),
					isNull(webhooks.deletedAt),
					after ? lt(webhooks.id, after) : undefined,
				),
			)
			.orderBy(desc(webhooks.id))
			.limit(limit + 1);
		const { data, nextCursor } = page(rows, limit);
		const tenantRegion = await regionOfTenant(c.env, c.var.access.tenantId, waitUntilOf(c));
		if (health === "false") return c.json({ data: data.map((row) => toWebhook(row, tenantRegion)), nextCursor }, 200);
		// One gate that cannot answer shows as null; the list still answers.
		const healths = await Promise.allSettled(data.map((row) => gateOf(c.var.access.shard, row.id).health()));
		return c.json(
			{
				data: data.map((row, i) => {
					const h = healths[i];
					return {
						...toWebhook(row, tenantRegion),
						health: h?.status === "fulfilled" ? summaryOf(h.value as GateHealth) : null,
					};
				}),
				nextCursor,
			},
			200,
		);
	},
);

const summaryOf = (h: GateHealth) => ({
	circuit: h.circuit.state,
	consecutiveFailures: h.circuit.consecutiveFailures,
	successRateLastHour: h.lastHour.successRate,
	lastSuccessAt: isoOrNull(h.lastSuccessAt),
	lastFailureAt: isoOrNull(h.lastFailureAt),
	paused: h.paused,
});

crudRoutes.openapi(
	createRoute({
		method: "get",
		path: "/{id}",
		tags,
		security: readSecurity,
		summary: "Read a webhook",
		request: { params: Params },
		responses: { 200: json(Webhook, "The webhook"), ...problems(401, 403, 404, 503) },
	}),
	async (c) => {
		const { shard, tenantId } = c.var.access;
		const row = await findWebhook(shard, tenantId, c.req.valid("param").id);
		return c.json(toWebhook(row, await regionOfTenant(c.env, tenantId, waitUntilOf(c))), 200);
	},
);

crudRoutes.openapi(
	createRoute({
		method: "patch",
		path: "/{id}",
		tags,
		security: manageSecurity,
		summary: "Change a webhook",
		description:
			"Fields not sent stay as they are. `auth` with an empty password keeps the stored password. Notifications already sent keep their stored body and headers; their retries and re-sends go to the URL as changed here.",
		request: { params: Params, body: jsonBody(WebhookPatch) },
		responses: { 200: json(Webhook, "The changed webhook"), ...problems(400, 401, 403, 404, 415, 503) },
	}),
	async (c) => {
		const config = readConfig(c.var.access.shard);
		const current = await findWebhook(c.var.access.shard, c.var.access.tenantId, c.req.valid("param").id);
		const patch = c.req.valid("json");
		const fields = patchedFields(current, patch);
		checkTemplates({ ...fields, id: current.id }, { policy: config.targetPolicy });
		checkRegion(c.env, fields.region);
		// Sealed values still in an older form are sealed afresh with this write: a kept password
		// with the change, the signing secrets only where a rotation has not replaced them since.
		const { columns: resealed } = await resealRow(current, config.encryptionKey);
		const { authPasswordSealed, ...secrets } = resealed;
		// `enabled` is written only when the patch sets it (changeWebhook says why).
		const { enabled: _enabled, ...columns } = await toColumns(fields, config.encryptionKey, current.id, {
			...current,
			authPasswordSealed: authPasswordSealed ?? current.authPasswordSealed,
		});
		const updated = await changeWebhook(c.var.access.shard, current, columns, { enabled: patch.enabled });
		if (Object.keys(secrets).length > 0) await resealUpdate(c.var.access.shard, current, secrets);
		return c.json(toWebhook(updated, await regionOfTenant(c.env, c.var.access.tenantId, waitUntilOf(c))), 200);
	},
);

crudRoutes.openapi(
	createRoute({
		method: "delete",
		path: "/{id}",
		tags,
		security: manageSecurity,
		summary: "Delete a webhook",
		description: "Stops its pending deliveries (they end `failed`); its history stays readable.",
		request: { params: Params },
		responses: { 204: { description: "Deleted" }, ...problems(401, 403, 404, 503) },
	}),
	async (c) => {
		const current = await findWebhook(c.var.access.shard, c.var.access.tenantId, c.req.valid("param").id);
		await deleteWebhook(c.var.access.shard, current.id);
		return c.body(null, 204);
	},
);
