// The HTTP side of Hookline: every resource mounted on one app, the OpenAPI
// document, and the one error handler. What a tenant owns answers twice: under
// /v1/tenants/{tenantId}/… and unprefixed, for the caller's own tenant (a
// tenant key's, or `default` for an operator secret), so every first-version
// client keeps working.
import pkg from "../package.json";
import { keyRoutes } from "./access/routes/keys";
import { portalLinkRoutes } from "./access/routes/portal-links";
import { tenantRoutes } from "./access/routes/tenants";
import { eventRoutes } from "./events/routes";
import { notificationRoutes } from "./history/routes";
import { onError, ProblemError } from "./http/problem";
import { newRouter } from "./http/router";
import { requireSettings } from "./http/settings";
import { openApiDocument } from "./meta/openapi";
import { metaRoutes } from "./meta/routes";
import { subscriptionRoutes } from "./stream/routes";
import type { ApiFetch } from "./web/api-client";
import { consoleApp } from "./web/app";
import { portalApp } from "./web/portal/app";
import { webhookRoutes } from "./webhooks/routes";
import { resealRoutes } from "./webhooks/routes/reseal";

export const app = newRouter();

app.onError(onError);
app.notFound((c) => {
	throw new ProblemError(404, `No route for ${c.req.method} ${c.req.path}.`);
});

app.use("*", requireSettings);
app.route("/", metaRoutes);
// The console and the tenant portal call the API in-process, through this app's own fetch.
const api: ApiFetch = (request, env, ctx) => app.fetch(request, env, ctx);
app.route("/console", consoleApp({ api }));
app.route("/portal", portalApp({ api }));
app.route("/v1/tenants", tenantRoutes);
app.route("/v1/keys", keyRoutes);
app.route("/v1/webhooks/reseal", resealRoutes);
for (const base of ["/v1", "/v1/tenants/:tenantId"]) {
	app.route(`${base}/webhooks`, webhookRoutes);
	app.route(`${base}/events`, eventRoutes);
	app.route(`${base}/notifications`, notificationRoutes);
	app.route(`${base}/portal-links`, portalLinkRoutes);
	app.route(`${base}/subscriptions`, subscriptionRoutes);
}

app.get("/openapi.json", (c) => c.json(openApiDocument(app, pkg.version)));
