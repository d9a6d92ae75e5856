// /v1/webhooks: create, list, read, change, delete, rotate the signing secret.
import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, inArray, isNull, lt } from "drizzle-orm";
import { readConfig } from "../config";
import { database } from "../db";
import { notifications, type WebhookRow, webhooks } from "../db/schema";
import { bearerAuth } from "../http/auth";
import { decodeCursor, PageQuery, page, pageOf } from "../http/pagination";
import { ProblemError } from "../http/problem";
import { IdParam, json, jsonBody, newRouter, problems } from "../http/router";
import { newId } from "../ids";
import { newSigningSecret, seal } from "../secrets";
import { checkTemplates } from "./check";
import {
	toWebhook,
	Webhook,
	WebhookCreate,
	type WebhookFields,
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
		checkTemplates({ ...fields, id }, { allowHttp: config.allowPrivateTargets });
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
		request: { query: PageQuery },
		responses: { 200: json(pageOf(Webhook), "A page of webhooks"), ...problems(400, 401, 403, 503) },
	}),
	async (c) => {
		const { limit, cursor } = c.req.valid("query");
		const after = decodeCursor(cursor);
		const rows = await database(c.env)
			.select()
			.from(webhooks)
			.where(and(isNull(webhooks.deletedAt), after ? lt(webhooks.id, after) : undefined))
			.orderBy(desc(webhooks.id))
			.limit(limit + 1);
		const { data, nextCursor } = page(rows, limit);
		return c.json({ data: data.map(toWebhook), nextCursor }, 200);
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
		const { id: _id, createdAt: _c, updatedAt: _u, ...currentFields } = toWebhook(current);
		const fields: WebhookFields = {
			...currentFields,
			auth: current.authUsername === null ? null : { type: "basic", username: current.authUsername, password: "" },
			...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
		};
		checkTemplates({ ...fields, id: current.id }, { allowHttp: config.allowPrivateTargets });
		const [row] = await database(c.env)
			.update(webhooks)
			.set({ ...(await toColumns(fields, config.encryptionKey, current)), updatedAt: Date.now() })
			.where(eq(webhooks.id, current.id))
			.returning();
		return c.json(toWebhook(row as WebhookRow), 200);
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
		return c.body(null, 204);
	},
);

webhookRoutes.openapi(
	createRoute({
		method: "post",
		path: "/{id}/rotate-secret",
		tags,
		security,
		summary: "Rotate the signing secret",
		request: { params: Params },
		responses: {
			200: json(z.object({ secret: z.string() }), "The new whsec_ secret, shown only here"),
			...problems(401, 403, 404, 503),
		},
	}),
	async (c) => {
		const current = await findWebhook(c.env, c.req.valid("param").id);
		const secret = newSigningSecret();
		await database(c.env)
			.update(webhooks)
			.set({ secretSealed: await seal(secret, readConfig(c.env).encryptionKey), updatedAt: Date.now() })
			.where(eq(webhooks.id, current.id));
		return c.json({ secret }, 200);
	},
);
