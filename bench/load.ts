// The closed-loop load of `npm run bench` (autocannon at CONNECTIONS for
// BENCH_SECONDS), the consumers-off copy of wrangler.toml the ingest phases
// run on, and how a phase reads Hookline's counters over its window.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import autocannon from "autocannon";
import { root } from "./lib.ts";

export const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
export const CONNECTIONS = 50;

/** Picks each request's path, and headers and body if not the load's (called before every request). */
export type NextRequest = () => { path: string; headers?: Record<string, string>; body?: string };

/**
 * POSTs `body` at CONNECTIONS for SECONDS, or until `amount` requests when
 * given; to `url`, or to what `next` picks for each request.
 */
export const load = async (
	url: string,
	headers: Record<string, string>,
	body: string,
	{ amount, next }: { amount?: number; next?: NextRequest } = {},
) => {
	const startedAt = Date.now();
	let lastResponseAt = startedAt;
	const options: autocannon.Options = {
		url,
		method: "POST",
		connections: CONNECTIONS,
		duration: SECONDS,
		...(amount ? { amount } : {}),
		headers,
		body,
		...(next
			? {
					requests: [
						{
							setupRequest: (req) => {
								const { path, headers: own, body: ownBody } = next();
								return { ...req, path, headers: { ...req.headers, ...own }, body: ownBody ?? req.body };
							},
						},
					],
				}
			: {}),
	};
	const result = await new Promise<autocannon.Result>((resolve, reject) => {
		const run = autocannon(options, (error, done) => (error ? reject(error) : resolve(done)));
		run.on("response", () => {
			lastResponseAt = Date.now();
		});
	});
	// autocannon ends a run of `amount` requests at its next 1 s sample, and its
	// average counts that idle tail: such a run's rate is timed here instead.
	const seconds = (lastResponseAt - startedAt) / 1000;
	return {
		requestsPerSecond: amount && seconds > 0 ? result.requests.total / seconds : result.requests.average,
		/** When the last response came (ms since the epoch): where posting ended. */
		lastResponseAt,
		latencyP50Ms: result.latency.p50,
		latencyP99Ms: result.latency.p99,
		ok: result["2xx"],
		non2xx: result.non2xx,
		errors: result.errors,
	};
};

export type LoadResult = Awaited<ReturnType<typeof load>>;

/**
 * A copy of wrangler.toml without its queue consumers, for the ingest phases:
 * the accept-and-enqueue path alone. In production the consumers run in other
 * isolates; here they would share the same two cores.
 */
export const withoutConsumers = (name: string) => {
	const path = join(root, `.bench-${name}.wrangler.toml`);
	writeFileSync(
		path,
		readFileSync(join(root, "wrangler.toml"), "utf8").replace(/\[\[queues\.consumers\]\][\s\S]*?(?=\n\[)/g, ""),
	);
	return { path, remove: () => rmSync(path, { force: true }) };
};

type Metrics = Record<string, unknown>;

/** How much a counter of GET /v1/metrics grew between two readings. */
export const grewBy = (before: Metrics, after: Metrics, name: string) =>
	Number(after[name] ?? 0) - Number(before[name] ?? 0);

/**
 * Key and tenant lookups that went to D1 over a window, in all and per
 * ingested event. The lookups are cached per isolate for 5 s
 * (src/access/lookup.ts), so with one tenant they come in bursts every 5 s:
 * when an entry runs out, each request in flight misses it and reads.
 */
export const catalogReadsOver = (before: Metrics, after: Metrics) => {
	const reads = grewBy(before, after, "catalogReads");
	const events = grewBy(before, after, "eventsIngested");
	return { catalogReads: reads, eventsIngested: events, catalogReadsPerEvent: reads / Math.max(1, events) };
};
