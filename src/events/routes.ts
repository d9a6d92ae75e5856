// POST /v1/events: the producer's way in.
import { createRoute, z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { MAX_EVENT_BYTES } from "../config";
import { bearerAuth } from "../http/auth";
import { ProblemError } from "../http/problem";
import { json, jsonBody, newRouter, problems } from "../http/router";
import { ingestEvent } from "./ingest";
import { EventInput, IdempotencyKey, IngestResult } from "./schema";

export const eventRoutes = newRouter();

eventRoutes.openapi(
	createRoute({
		method: "post",
		path: "/",
		tags: ["events"],
		security: [{ bearer: [] }],
		summary: "Ingest an event",
		description:
			"Stores the event and one notification per matching enabled webhook, and enqueues their delivery. The admin or the ingest token may call it.",
		middleware: [
			bearerAuth({ allow: ["admin", "ingest"] }),
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
		const { result, repeated } = await ingestEvent(c.env, c.req.valid("json"), {
			idempotencyKey: c.req.valid("header")["idempotency-key"],
			waitUntil: (promise) => c.executionCtx.waitUntil(promise),
		});
		return repeated ? c.json(result, 200) : c.json(result, 202);
	},
);
