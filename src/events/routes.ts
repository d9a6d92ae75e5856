// POST /v1/events (and /v1/tenants/{tenantId}/events): the producer's way in.
import { createRoute, z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { authorize } from "../access/authorize";
import { MAX_EVENT_BYTES } from "../config";
import { ProblemError, validationProblem } from "../http/problem";
import { json, jsonBody, newRouter, problems } from "../http/router";
import { isOperational, OPERATIONAL_PREFIX } from "../ops-events/types";
import { ingestEvent } from "./ingest";
import { EventInput, IdempotencyKey, IngestResult } from "./schema";

export const eventRoutes = newRouter();

eventRoutes.openapi(
	createRoute({
		method: "post",
		path: "/",
		tags: ["events"],
		security: [{ bearer: ["ingest"] }],
		summary: "Ingest an event",
		description:
			"Stores the event and one notification per matching webhook of the tenant, and enqueues their delivery. Needs the ingest scope: the tenant's key, or an operator secret (the admin or ingest token). Types starting `hookline.` are Hookline's own (400).",
		middleware: [
			authorize("ingest"),
			bodyLimit({
				maxSize: MAX_EVENT_BYTES,
				onError: () => {
					throw new ProblemError(413, `The event body is over ${MAX_EVENT_BYTES} bytes.`);
				},
			}),
		] as const,
		request: {
			headers: z.object({ "idempotency-key": IdempotencyKey }),
			body: jsonBody(EventInput),
		},
		responses: {
			202: json(IngestResult, "Accepted: stored and enqueued"),
			200: json(IngestResult, "A repeat of an earlier event: its first answer; nothing was created"),
			...problems(400, 401, 403, 413, 415, 503),
		},
	}),
	async (c) => {
		const input = c.req.valid("json");
		// Hookline's own operational events (src/ops-events) come only from Hookline.
		if (isOperational(input.type)) {
			throw validationProblem([
				{ path: "type", message: `types starting ${OPERATIONAL_PREFIX} are reserved for Hookline` },
			]);
		}
		const { result, repeated } = await ingestEvent(c.var.access.shard, c.var.access.tenantId, input, {
			idempotencyKey: c.req.valid("header")["idempotency-key"],
			waitUntil: (promise) => c.executionCtx.waitUntil(promise),
		});
		return repeated ? c.json(result, 200) : c.json(result, 202);
	},
);
