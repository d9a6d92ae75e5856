// /v1/subscriptions (and /v1/tenants/{tenantId}/subscriptions): the streaming
// API. Creating and deleting a subscription needs the manage scope; reading,
// listing, streaming and committing need read.
import { createRoute } from "@hono/zod-openapi";
import { stream } from "hono/streaming";
import { authorize } from "../access/authorize";
import { decodeCursor, PageQuery, page, pageOf } from "../http/pagination";
import { IdParam, json, jsonBody, newRouter, problems } from "../http/router";
import { seqOfCursor } from "./cursor";
import { takeLease } from "./lease";
import {
	CursorCommit,
	StreamBatch,
	StreamQuery,
	Subscription,
	SubscriptionCreate,
	SubscriptionDetail,
	toSubscription,
} from "./schema";
import { runStream } from "./session";
import {
	commitSubscription,
	createSubscription,
	deleteSubscription,
	findSubscription,
	listSubscriptions,
	waitingOf,
} from "./subscriptions";

export const subscriptionRoutes = newRouter();

const tags = ["subscriptions"];
const read = { security: [{ bearer: ["read"] }], middleware: [authorize("read")] };
const manage = { security: [{ bearer: ["manage"] }], middleware: [authorize("manage")] };
const params = IdParam("subscription id", "sub_01JD0Z4N6V7W8X9Y0Z1A2B3C4D");

subscriptionRoutes.openapi(
	createRoute({
		method: "post",
		path: "/",
		tags,
		...manage,
		summary: "Create a subscription",
		description: "A durable cursor over the tenant's event log, for a consumer that pulls the events it matches.",
		request: { body: jsonBody(SubscriptionCreate) },
		responses: { 201: json(Subscription, "The subscription"), ...problems(400, 401, 403, 415, 503) },
	}),
	async (c) => {
		const row = await createSubscription(c.var.access.shard, c.var.access.tenantId, c.req.valid("json"));
		return c.json(toSubscription(row), 201, { location: `${c.req.path.replace(/\/$/, "")}/${row.id}` });
	},
);

subscriptionRoutes.openapi(
	createRoute({
		method: "get",
		path: "/",
		tags,
		...read,
		summary: "List subscriptions, newest first",
		request: { query: PageQuery },
		responses: { 200: json(pageOf(Subscription), "A page of subscriptions"), ...problems(400, 401, 403, 503) },
	}),
	async (c) => {
		const { limit, cursor } = c.req.valid("query");
		const rows = await listSubscriptions(c.var.access.shard, c.var.access.tenantId, decodeCursor(cursor), limit);
		const { data, nextCursor } = page(rows, limit);
		const now = Date.now();
		return c.json({ data: data.map((row) => toSubscription(row, now)), nextCursor }, 200);
	},
);

subscriptionRoutes.openapi(
	createRoute({
		method: "get",
		path: "/{id}",
		tags,
		...read,
		summary: "Read a subscription",
		description: "With its committed cursor and how many matching events wait after it.",
		request: { params },
		responses: { 200: json(SubscriptionDetail, "The subscription"), ...problems(401, 403, 404, 503) },
	}),
	async (c) => {
		const row = await findSubscription(c.var.access.shard, c.var.access.tenantId, c.req.valid("param").id);
		return c.json({ ...toSubscription(row), waiting: await waitingOf(c.var.access.shard, row) }, 200);
	},
);

subscriptionRoutes.openapi(
	createRoute({
		method: "delete",
		path: "/{id}",
		tags,
		...manage,
		summary: "Delete a subscription",
		description: "A stream open on it ends within a second.",
		request: { params },
		responses: { 204: { description: "Deleted" }, ...problems(401, 403, 404, 503) },
	}),
	async (c) => {
		await deleteSubscription(c.var.access.shard, c.var.access.tenantId, c.req.valid("param").id);
		return c.body(null, 204);
	},
);

subscriptionRoutes.openapi(
	createRoute({
		method: "get",
		path: "/{id}/events",
		tags,
		...read,
		summary: "Stream the subscription's events (NDJSON)",
		description:
			"One line per batch, `{ cursor, events: [{ id, type, occurredAt, data }] }`, in the order the events were stored, starting after the last committed cursor. The response stays open: a batch goes out when it holds `batchLimit` events or `batchTimeoutMs` has passed (empty: a keep-alive), until `streamTimeoutMs`. One stream per subscription at a time (409). See docs/streaming.md.",
		request: { params, query: StreamQuery },
		responses: {
			200: {
				description: "The stream: one StreamBatch per line",
				content: { "application/x-ndjson": { schema: StreamBatch } },
			},
			...problems(400, 401, 403, 404, 409, 503),
		},
	}),
	async (c) => {
		const settings = c.req.valid("query");
		const { shard, tenantId } = c.var.access;
		const { row, leaseId } = await takeLease(shard, tenantId, c.req.valid("param").id);
		// The stream outlives the handler; the request stays alive until it ends.
		let finished = () => {};
		c.executionCtx.waitUntil(new Promise<void>((resolve) => (finished = resolve)));
		c.header("content-type", "application/x-ndjson");
		c.header("cache-control", "no-store");
		// A streamed body has no typed form in the route's answers: hence the cast.
		return stream(c, async (out) => {
			try {
				const end = await runStream(shard, row, leaseId, settings, {
					write: (line) => out.write(line),
					aborted: () => out.aborted,
				});
				console.log(JSON.stringify({ msg: "stream ended", subscription: row.id, end }));
			} catch (err) {
				console.error(JSON.stringify({ msg: "stream failed", subscription: row.id, error: String(err) }));
			} finally {
				finished();
			}
		}) as never;
	},
);

subscriptionRoutes.openapi(
	createRoute({
		method: "post",
		path: "/{id}/cursors",
		tags,
		...read,
		summary: "Commit a batch's cursor",
		description:
			"Everything up to that batch is processed: the next stream starts after it. Commits only move forward; an older cursor changes nothing.",
		request: { params, body: jsonBody(CursorCommit) },
		responses: { 204: { description: "Committed" }, ...problems(400, 401, 403, 404, 415, 503) },
	}),
	async (c) => {
		const { id } = c.req.valid("param");
		const seq = seqOfCursor(c.req.valid("json").cursor, id);
		const row = await findSubscription(c.var.access.shard, c.var.access.tenantId, id);
		await commitSubscription(c.var.access.shard, row, seq);
		return c.body(null, 204);
	},
);
