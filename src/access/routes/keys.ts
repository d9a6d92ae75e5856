// /v1/keys: API keys. An operator manages every key; a tenant's key sees and
// makes only its own tenant's.
import { createRoute, z } from "@hono/zod-openapi";
import { decodeCursor, PageQuery, page, pageOf } from "../../http/pagination";
import { IdParam, json, jsonBody, newRouter, problems } from "../../http/router";
import { authenticate } from "../authorize";
import { createKey, listKeys, revokeKey } from "../keys";
import { ApiKey, ApiKeyCreate, ApiKeyWithSecret, TenantId, toApiKey } from "../schema";

export const keyRoutes = newRouter();
keyRoutes.use("*", authenticate());

const tags = ["keys"];

keyRoutes.openapi(
	createRoute({
		method: "post",
		path: "/",
		tags,
		security: [{ bearer: ["manage"] }],
		summary: "Create an API key",
		description:
			"The answer holds the secret, once; only its hash is stored. An operator makes keys for any tenant or operator-wide (`tenantId` null or omitted); a tenant's key makes keys for its own tenant. No caller grants a scope it lacks (403).",
		request: { body: jsonBody(ApiKeyCreate) },
		responses: { 201: json(ApiKeyWithSecret, "The key, with its secret"), ...problems(400, 401, 403, 415, 503) },
	}),
	async (c) => {
		const { row, secret } = await createKey(c.env, c.var.access.principal, c.req.valid("json"));
		return c.json({ ...toApiKey(row), secret }, 201);
	},
);

keyRoutes.openapi(
	createRoute({
		method: "get",
		path: "/",
		tags,
		security: [{ bearer: ["read"] }],
		summary: "List API keys (without secrets), newest first",
		request: {
			query: PageQuery.extend({
				tenantId: TenantId.optional().openapi({ description: "Only this tenant's keys" }),
				operatorWide: z
					.enum(["true", "false"])
					.optional()
					.openapi({ description: "true: only the operator-wide keys (an operator's filter; not with tenantId)" }),
			}),
		},
		responses: { 200: json(pageOf(ApiKey), "A page of keys"), ...problems(400, 401, 403, 503) },
	}),
	async (c) => {
		const { limit, cursor, tenantId, operatorWide } = c.req.valid("query");
		const rows = await listKeys(c.env, c.var.access.principal, {
			tenantId,
			operatorWide: operatorWide === "true",
			after: decodeCursor(cursor),
			limit,
		});
		const { data, nextCursor } = page(rows, limit);
		return c.json({ data: data.map(toApiKey), nextCursor }, 200);
	},
);

keyRoutes.openapi(
	createRoute({
		method: "delete",
		path: "/{id}",
		tags,
		security: [{ bearer: ["manage"] }],
		summary: "Revoke an API key",
		description: "The key stops working everywhere within 10 seconds.",
		request: { params: IdParam("API key id", "key_01JD0Z4N6V7W8X9Y0Z1A2B3C4D") },
		responses: { 204: { description: "Revoked" }, ...problems(401, 403, 404, 503) },
	}),
	async (c) => {
		await revokeKey(c.env, c.var.access.principal, c.req.valid("param").id);
		return c.body(null, 204);
	},
);
