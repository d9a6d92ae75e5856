// The steady load of `npm run bench:capacity`: events POSTed at a fixed rate
// (an open loop: each goes out on time whatever the answers), round-robin over
// the tenants on /v1/tenants/{t}/events with the operator's ingest token. Half
// carry the producer's own id; the other half an Idempotency-Key and no id
// (Hookline makes one, and keeps the key), as both kinds of producer do.
import { Agent, request } from "undici";
import { BENCH_TOKENS, log, percentile, sleep, waitFor } from "../lib.ts";
import { type EventKind, eventOf, KINDS, notificationsPerEvent, seeded } from "./mix.ts";

const PROGRESS_EVERY_MS = 5000;

export type LoadOptions = {
	url: string;
	tenants: string[];
	/** Events per second. */
	rate: number;
	/** The longest the load runs. */
	seconds: number;
	/** Names the events of this window (ids and keys) and seeds its data. */
	label: string;
	/** Stops the load early once it answers true (checked every second). */
	until?: () => boolean;
	/** More to print on each progress line. */
	progress?: () => string;
	/** Marks the ingests sent while it answers true: their latency is also reported on its own. */
	during?: () => boolean;
};

export type LoadWindow = {
	label: string;
	seconds: number;
	sent: number;
	accepted: number;
	refused: number;
	eventsPerSecond: number;
	/** How long an ingest took to answer, ms: all of them, and those sent while `during` said so. */
	ingestMs: { p50: number; p95: number; p99: number };
	ingestMsDuring?: { count: number; p50: number; p95: number; p99: number };
	/** Events accepted per kind, and the bytes of their data (JSON). */
	byKind: Record<EventKind, { events: number; dataBytes: number }>;
	/** Notifications the accepted events make (by the webhooks' filters). */
	notifications: number;
};

export const steadyLoad = async ({ url, tenants, rate, seconds, label, until, progress, during }: LoadOptions) => {
	const agent = new Agent({ connections: 50, pipelining: 1 });
	const random = seeded(label.length * 7919 + rate);
	const byKind = Object.fromEntries(KINDS.map((k) => [k.type, { events: 0, dataBytes: 0 }])) as LoadWindow["byKind"];
	const latencies: number[] = [];
	const marked: number[] = [];
	const inflight = new Set<Promise<void>>();
	let accepted = 0;
	let refused = 0;
	let notifications = 0;
	const start = Date.now();
	const end = start + seconds * 1000;
	let nextProgress = start + PROGRESS_EVERY_MS;
	let stopped = false;
	const stopCheck = setInterval(() => {
		if (until?.()) stopped = true;
	}, 1000);
	let i = 0;
	for (; !stopped; i++) {
		const due = start + (i * 1000) / rate;
		if (due >= end) break;
		if (due > Date.now()) await sleep(due - Date.now());
		const tenant = tenants[i % tenants.length] as string;
		const event = eventOf(i, random);
		const body = JSON.stringify(i % 2 === 0 ? { id: `${label}-${i}`, ...event } : event);
		const sentAt = Date.now();
		const mark = during?.() ?? false;
		const p = request(`${url}/v1/tenants/${tenant}/events`, {
			method: "POST",
			headers: {
				authorization: `Bearer ${BENCH_TOKENS.ingest}`,
				"content-type": "application/json",
				...(i % 2 === 1 ? { "idempotency-key": `${label}-key-${i}` } : {}),
			},
			body,
			dispatcher: agent,
		})
			.then(async (res) => {
				await res.body.dump();
				latencies.push(Date.now() - sentAt);
				if (mark) marked.push(Date.now() - sentAt);
				if (res.statusCode !== 202) {
					refused++;
					return;
				}
				accepted++;
				const kind = byKind[event.type];
				kind.events++;
				kind.dataBytes += Buffer.byteLength(JSON.stringify(event.data));
				notifications += notificationsPerEvent(event.type);
			})
			.catch(() => {
				refused++;
			})
			.finally(() => inflight.delete(p));
		inflight.add(p);
		if (Date.now() >= nextProgress) {
			nextProgress += PROGRESS_EVERY_MS;
			log(
				`  ${label}: ${i + 1} sent, ${accepted} accepted, ingest p50 ${percentile(latencies, 50)} ms${progress ? `, ${progress()}` : ""}`,
			);
		}
	}
	clearInterval(stopCheck);
	await Promise.all(inflight);
	await agent.close();
	const elapsed = (Date.now() - start) / 1000;
	return {
		label,
		seconds: elapsed,
		sent: i,
		accepted,
		refused,
		eventsPerSecond: accepted / elapsed,
		ingestMs: percentiles(latencies),
		...(during ? { ingestMsDuring: { count: marked.length, ...percentiles(marked) } } : {}),
		byKind,
		notifications,
	} satisfies LoadWindow;
};

const percentiles = (ms: number[]) => ({ p50: percentile(ms, 50), p95: percentile(ms, 95), p99: percentile(ms, 99) });

type Api = (method: string, path: string, body?: unknown) => Promise<Record<string, unknown>>;

/** Waits until no tenant has a notification still on its way (pending, retrying, paused); says whether that came. */
export const settle = (api: Api, tenants: string[], timeoutMs: number) =>
	waitFor(
		async () => {
			for (const tenant of tenants) {
				for (const status of ["pending", "retrying", "paused"]) {
					const page = await api("GET", `/v1/tenants/${tenant}/notifications?status=${status}&limit=1`);
					if ((page.data as unknown[]).length > 0) return false;
				}
			}
			return true;
		},
		timeoutMs,
		1000,
	);
