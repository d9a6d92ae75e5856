// The HTTP side of Hookline: every resource mounted on one app, the OpenAPI
// document, and the one error handler.
import pkg from "../package.json";
import { eventRoutes } from "./events/routes";
import { notificationRoutes } from "./history/routes";
import { onError, ProblemError } from "./http/problem";
import { newRouter } from "./http/router";
import { requireSettings } from "./http/settings";
import { metaRoutes } from "./meta/routes";
import { consoleApp } from "./web/app";
import { webhookRoutes } from "./webhooks/routes";

export const app = newRouter();

app.onError(onError);
app.notFound((c) => {
	throw new ProblemError(404, `No route for ${c.req.method} ${c.req.path}.`);
});

app.use("*", requireSettings);
app.route("/", metaRoutes);
// The console calls the API in-process, through this app's own fetch.
app.route("/console", consoleApp({ api: (request, env, ctx) => app.fetch(request, env, ctx) }));
app.route("/v1/webhooks", webhookRoutes);
app.route("/v1/events", eventRoutes);
app.route("/v1/notifications", notificationRoutes);

app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
	type: "http",
	scheme: "bearer",
	description: "The admin token, or the ingest token for POST /v1/events only",
});

app.doc31("/openapi.json", {
	openapi: "3.1.0",
	info: {
		title: "Hookline",
		version: pkg.version,
		description:
			"Webhook delivery: ingest events, shape and deliver requests with retries, read and re-send the history.",
	},
});
