// The pull stream over real HTTP through wrangler dev: a consumer follows a
// subscription's NDJSON stream while events are posted, gets them in the order
// they were stored, commits, and a new stream goes on after the commit.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HooklineApi, hooklineApi } from "../support/api.ts";
import { type LocalHookline, startHookline } from "../support/local-hookline.ts";
import { ndjsonLines } from "../support/ndjson.ts";

let hookline: LocalHookline;
let api: HooklineApi;

beforeAll(async () => {
	hookline = await startHookline();
	api = hooklineApi(hookline);
});

afterAll(async () => {
	await hookline?.stop();
});

type Batch = { cursor: string; events: { id: string; type: string; data: { n: number } }[] };

/** Follows a stream over HTTP: its batches as they arrive, and a way to hang up. */
const follow = async (path: string, token: string) => {
	const abort = new AbortController();
	const res = await fetch(`${hookline.url}${path}`, {
		headers: { authorization: `Bearer ${token}` },
		signal: abort.signal,
	});
	const { next } = ndjsonLines<Batch>(res.body as ReadableStream<Uint8Array>);
	return { res, next, close: () => abort.abort() };
};

describe("the pull stream over HTTP", () => {
	it("follows events as they are posted, in order, and resumes after the commit", async () => {
		const tenant = `stream-${crypto.randomUUID().slice(0, 8)}`;
		expect((await api.call("POST", "/v1/tenants", { id: tenant, name: "Streaming" })).status).toBe(201);
		const key = await api.call("POST", "/v1/keys", {
			name: "consumer",
			tenantId: tenant,
			scopes: ["ingest", "read", "manage"],
		});
		const token = key.body.secret as string;
		const sub = await api.call(
			"POST",
			"/v1/subscriptions",
			{ name: "orders", eventTypes: ["order.*"], startFrom: "end" },
			{ token },
		);
		expect(sub.status).toBe(201);
		const id = sub.body.id as string;

		const stream = await follow(`/v1/subscriptions/${id}/events?batchTimeoutMs=200&streamTimeoutMs=60000`, token);
		expect(stream.res.status).toBe(200);
		expect(stream.res.headers.get("content-type")).toBe("application/x-ndjson");
		// A second consumer on the same subscription is refused while this one is live.
		expect((await api.call("GET", `/v1/subscriptions/${id}/events`, undefined, { token })).status).toBe(409);

		const posted: string[] = [];
		const seen: string[] = [];
		let cursor = "";
		const reading = (async () => {
			while (seen.length < 20) {
				const batch = await stream.next();
				if (!batch) throw new Error(`the stream ended after ${seen.length} events`);
				seen.push(...batch.events.map((e) => e.id));
				cursor = batch.cursor;
			}
		})();
		for (let n = 0; n < 20; n++) {
			const type = n % 5 === 4 ? "audit.noted" : "order.placed";
			const res = await api.call("POST", "/v1/events", { type, data: { n } }, { token });
			expect(res.status).toBe(202);
			if (type.startsWith("order.")) posted.push(res.body.id as string);
		}
		// Four more, at once: the stream keeps them in the log's order, whatever it is.
		for (const res of await Promise.all(
			[20, 21, 22, 23].map((n) => api.call("POST", "/v1/events", { type: "order.placed", data: { n } }, { token })),
		))
			posted.push(res.body.id as string);
		await reading;
		expect(seen.slice(0, 16)).toEqual(posted.slice(0, 16));
		expect(new Set(seen.slice(16))).toEqual(new Set(posted.slice(16)));

		expect((await api.call("POST", `/v1/subscriptions/${id}/cursors`, { cursor }, { token })).status).toBe(204);
		expect((await api.json("GET", `/v1/subscriptions/${id}`, undefined, { token })).waiting).toBe(0);
		stream.close();

		// Hung up: the lease goes, and the next stream starts after the commit.
		const again = await api.poll("a new stream once the first is closed", async () => {
			const next = await follow(`/v1/subscriptions/${id}/events?batchTimeoutMs=200&streamTimeoutMs=20000`, token);
			if (next.res.status === 200) return next;
			next.close();
			return undefined;
		});
		const later = await api.call("POST", "/v1/events", { type: "order.shipped", data: { n: 99 } }, { token });
		const got: string[] = [];
		while (got.length === 0) {
			const batch = await again.next();
			if (!batch) throw new Error("the second stream ended before the new event");
			got.push(...batch.events.map((e) => e.id));
		}
		expect(got).toEqual([later.body.id]);
		again.close();
	});
});
