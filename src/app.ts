// The HTTP side of Hookline: every resource mounted on one app, the OpenAPI
// document, and the one error handler.
import { createRoute, z } from "@hono/zod-openapi";
import pkg from "../package.json";
import { readConfig } from "./config";
import { eventRoutes } from "./events/routes";
import { notificationRoutes } from "./history/routes";
import { bearerAuth } from "./http/auth";
import { onError, ProblemError } from "./http/problem";
import { json, newRouter, problems } from "./http/router";
import { metrics } from "./metrics";
import { consoleApp } from "./web/app";
import { webhookRoutes } from "./webhooks/routes";

export const app = newRouter();

app.onError(onError);
app.notFound((c) => {
	throw new ProblemError(404, `No route for ${c.req.method} ${c.req.path}.`);
});

app.openapi(
	createRoute({
		method: "get",
		path: "/healthz",
		tags: ["meta"],
		summary: "Liveness",
		responses: { 200: json(z.object({ status: z.literal("ok"), version: z.string() }), "Alive") },
	}),
	(c) => c.json({ status: "ok" as const, version: pkg.version }, 200),
);

/** What GET /v1/sender-ips answers; the console's page reads it through the API too. */
export const SenderIps = z.object({ ips: z.array(z.string()) });

app.openapi(
	createRoute({
		method: "get",
		path: "/v1/sender-ips",
		tags: ["meta"],
		summary: "The sender IP addresses receivers can allow-list (public)",
		responses: { 200: json(SenderIps, "Configured sender IPs") },
	}),
	(c) => c.json({ ips: readConfig(c.env).senderIps }, 200),
);

app.use("/v1/metrics", bearerAuth({ allow: ["admin"] }));
app.openapi(
	createRoute({
		method: "get",
		path: "/v1/metrics",
		tags: ["meta"],
		security: [{ bearer: [] }],
		summary: "Cost counters of this isolate since it started",
		description:
			"Queue messages and calls, endpoint-gate calls, D1 reads, write statements and batches, attempts and deliveries, as this isolate counted them. For local measurement (`npm run bench`); a deployed worker runs many isolates.",
		responses: {
			200: json(z.record(z.string(), z.number()), "Counters"),
			...problems(401, 403, 503),
		},
	}),
	(c) => c.json(metrics(), 200),
);

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
