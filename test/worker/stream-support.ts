// Helpers for the streaming API's worker tests: a tenant with a key, ingest
// into it, subscriptions, and a reader of the NDJSON stream's lines.
import { expect } from "vitest";
import { ndjsonLines } from "../support/ndjson";
import { api, createKey, createTenant, uniqueTag } from "./helpers";

export type StreamEvent = { id: string; type: string; occurredAt: string; data: Record<string, unknown> };
export type Batch = { cursor: string; events: StreamEvent[]; purged?: number };
export type SubscriptionJson = {
	id: string;
	name: string;
	eventTypes: string[];
	startFrom: string;
	committedCursor: string | null;
	live: boolean;
	waiting?: number;
};

/** A fresh tenant (its own event log) and a key of every scope for it. */
export const streamTenant = async () => {
	const tenant = (await createTenant()).id;
	const { token } = await createKey({ tenantId: tenant });
	const base = `/v1/tenants/${tenant}`;
	const ingest = async (type: string, data: Record<string, unknown> = {}) => {
		const res = await api(`${base}/events`, { method: "POST", token, body: { type, data } });
		expect(res.status, await res.clone().text()).toBe(202);
		return ((await res.json()) as { id: string }).id;
	};
	const subscribe = async (eventTypes: string[], startFrom: "begin" | "end" = "begin") => {
		const res = await api(`${base}/subscriptions`, {
			method: "POST",
			token,
			body: { name: uniqueTag("sub"), eventTypes, startFrom },
		});
		expect(res.status, await res.clone().text()).toBe(201);
		return (await res.json()) as SubscriptionJson;
	};
	const read = async (id: string) => {
		const res = await api(`${base}/subscriptions/${id}`, { token });
		expect(res.status).toBe(200);
		return (await res.json()) as SubscriptionJson & { waiting: number };
	};
	const open = (id: string, query = "") => api(`${base}/subscriptions/${id}/events?${query}`, { token });
	const commit = (id: string, cursor: string) =>
		api(`${base}/subscriptions/${id}/cursors`, { method: "POST", token, body: { cursor } });
	return { tenant, token, base, ingest, subscribe, read, open, commit };
};

/** Reads a stream's lines as they come; `next()` is null once the stream has ended. */
export const lines = (res: Response) => {
	expect(res.status).toBe(200);
	expect(res.headers.get("content-type")).toBe("application/x-ndjson");
	const { next, cancel } = ndjsonLines<Batch>(res.body as ReadableStream<Uint8Array>);
	/** Batches until `enough` holds for the events so far (or the stream ends, which fails). */
	const until = async (enough: (events: StreamEvent[]) => boolean) => {
		const batches: Batch[] = [];
		const events: StreamEvent[] = [];
		while (!enough(events)) {
			const batch = await next();
			if (!batch) throw new Error(`the stream ended after ${events.length} events`);
			batches.push(batch);
			events.push(...batch.events);
		}
		return { batches, events, cursor: batches.at(-1)?.cursor as string };
	};
	/** Every batch until the stream ends. */
	const rest = async () => {
		const batches: Batch[] = [];
		for (let batch = await next(); batch; batch = await next()) batches.push(batch);
		return batches;
	};
	return { next, until, rest, cancel };
};
