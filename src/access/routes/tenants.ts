// /v1/tenants: the operator creates, lists, reads, changes and deletes tenants.
import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, gt, isNull } from "drizzle-orm";
import { readConfig } from "../../config";
import { catalog } from "../../db";
import { tenants } from "../../db/catalog";
import { decodeCursor, PageQuery, page, pageOf } from "../../http/pagination";
import { json, jsonBody, newRouter, problems } from "../../http/router";
import { authorizeOperator } from "../authorize";
import { TENANT_ID, Tenant, TenantCreate, TenantId, TenantPatch, toTenant } from "../schema";
import { changeTenant, createTenant, deleteTenant, findTenant } from "../tenants";

export const tenantRoutes = newRouter();
// Not "*": the tenant-prefixed resources under /v1/tenants/{tenantId}/… have their own checks.
tenantRoutes.use("/", authorizeOperator());
tenantRoutes.use("/:id", authorizeOperator());

const tags = ["tenants"];
const security = [{ bearer: ["manage"] }];
const readSecurity = [{ bearer: ["read"] }];
const Params = z.object({ id: TenantId.openapi({ param: { name: "id", in: "path" } }) });

tenantRoutes.openapi(
	createRoute({
		method: "post",
		path: "/",
		tags,
		security,
		summary: "Create a tenant (operator)",
		request: { body: jsonBody(TenantCreate) },
		responses: { 201: json(Tenant, "The tenant"), ...problems(400, 401, 403, 409, 415, 503) },
	}),
	async (c) => {
		const row = await createTenant(c.env, c.req.valid("json"));
		return c.json(toTenant(row, readConfig(c.env).regions), 201, { location: `/v1/tenants/${row.id}` });
	},
);

tenantRoutes.openapi(
	createRoute({
		method: "get",
		path: "/",
		tags,
		security: readSecurity,
		summary: "List tenants by id (operator)",
		request: { query: PageQuery },
		responses: { 200: json(pageOf(Tenant), "A page of tenants"), ...problems(400, 401, 403, 503) },
	}),
	async (c) => {
		const { limit, cursor } = c.req.valid("query");
		const after = decodeCursor(cursor, TENANT_ID);
		const rows = await catalog(c.env)
			.select()
			.from(tenants)
			.where(and(isNull(tenants.deletedAt), after ? gt(tenants.id, after) : undefined))
			.orderBy(asc(tenants.id))
			.limit(limit + 1);
		const { data, nextCursor } = page(rows, limit);
		return c.json({ data: data.map((row) => toTenant(row, readConfig(c.env).regions)), nextCursor }, 200);
	},
);

tenantRoutes.openapi(
	createRoute({
		method: "get",
		path: "/{id}",
		tags,
		security: readSecurity,
		summary: "Read a tenant (operator)",
		request: { params: Params },
		responses: { 200: json(Tenant, "The tenant"), ...problems(400, 401, 403, 404, 503) },
	}),
	async (c) => c.json(toTenant(await findTenant(c.env, c.req.valid("param").id), readConfig(c.env).regions), 200),
);

tenantRoutes.openapi(
	createRoute({
		method: "patch",
		path: "/{id}",
		tags,
		security,
		summary: "Change a tenant's name, region or portal origins (operator)",
		request: { params: Params, body: jsonBody(TenantPatch) },
		responses: { 200: json(Tenant, "The tenant as changed"), ...problems(400, 401, 403, 404, 415, 503) },
	}),
	async (c) => {
		const current = await findTenant(c.env, c.req.valid("param").id);
		return c.json(toTenant(await changeTenant(c.env, current, c.req.valid("json")), readConfig(c.env).regions), 200);
	},
);

tenantRoutes.openapi(
	createRoute({
		method: "delete",
		path: "/{id}",
		tags,
		security,
		summary: "Delete a tenant (operator)",
		description:
			"Revokes the tenant's keys and deletes its webhooks: its deliveries stop (what is open ends failed) and its keys stop working within 10 seconds. Its history stays until retention purges it. The id is never reused; `default` cannot be deleted (409).",
		request: { params: Params },
		responses: { 204: { description: "Deleted" }, ...problems(400, 401, 403, 404, 409, 503) },
	}),
	async (c) => {
		await deleteTenant(c.env, c.req.valid("param").id);
		return c.body(null, 204);
	},
);
