// The OpenAPI 3.1 document: every route the app registered, the bearer scheme
// with its scopes, and the `{tenantId}` path parameter that the tenant-prefixed
// mounts add (the routes themselves declare only their own parameters).
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../http/router";

const SECURITY_SCHEME = {
	type: "http" as const,
	scheme: "bearer",
	description: [
		"A secret with scopes: an API key (`hk_…`, from POST /v1/keys) or a bootstrap token of the deployment.",
		"Scopes: `ingest` posts events; `read` reads webhooks, history, health, keys and subscriptions, streams and commits a stream's cursor; `manage` does everything else (a portal link needs `read` too).",
		"The admin token has every scope, operator-wide; the ingest token has `ingest`, operator-wide.",
		"A tenant's key reaches its own tenant only: another tenant's path is 403, another tenant's ids are 404.",
		"The scopes each operation needs are listed in its `security` requirement.",
	].join(" "),
};

const TENANT_PARAM = {
	name: "tenantId",
	in: "path" as const,
	required: true,
	description: "The tenant; the unprefixed form of the same path acts for the caller's own tenant",
	schema: { type: "string" as const, pattern: "^[a-z0-9][a-z0-9_-]{0,62}$" },
};

let cached: unknown;

export const openApiDocument = (app: OpenAPIHono<AppEnv>, version: string) => {
	if (cached) return cached;
	app.openAPIRegistry.registerComponent("securitySchemes", "bearer", SECURITY_SCHEME);
	const doc = app.getOpenAPI31Document({
		openapi: "3.1.0",
		info: {
			title: "Hookline",
			version,
			description:
				"Webhook delivery for a platform and its tenants: ingest events, shape and deliver requests with retries, read and re-send the history, manage tenants and API keys.",
		},
	});
	for (const [path, item] of Object.entries(doc.paths ?? {})) {
		if (path.includes("{tenantId}") && item) item.parameters = [TENANT_PARAM, ...(item.parameters ?? [])];
	}
	cached = doc;
	return doc;
};
