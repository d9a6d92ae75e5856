// The service's own routes: liveness, the sender IPs receivers allow-list, and
// the cost counters the benchmark reads.
import { createRoute, z } from "@hono/zod-openapi";
import pkg from "../../package.json";
import { authorizeOperator } from "../access/authorize";
import { readConfig } from "../config";
import { json, newRouter, problems } from "../http/router";
import { metrics } from "../metrics";
import { senderIpsOf } from "../regions";

export const metaRoutes = newRouter();

metaRoutes.openapi(
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
export const SenderIps = z.object({
	ips: z.array(z.string()).openapi({ description: "Every region's addresses, each once (the first version's list)" }),
	regions: z
		.array(z.object({ name: z.string(), ips: z.array(z.string()) }))
		.openapi({ description: "Each region, in the deployment's order, with the addresses its deliveries come from" }),
});

metaRoutes.openapi(
	createRoute({
		method: "get",
		path: "/v1/sender-ips",
		tags: ["meta"],
		summary: "The sender IP addresses receivers can allow-list, by region (public)",
		responses: { 200: json(SenderIps, "Configured sender IPs") },
	}),
	(c) => c.json(senderIpsOf(readConfig(c.env).regions), 200),
);

metaRoutes.use("/v1/metrics", authorizeOperator("read"));
metaRoutes.openapi(
	createRoute({
		method: "get",
		path: "/v1/metrics",
		tags: ["meta"],
		security: [{ bearer: ["read"] }],
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
