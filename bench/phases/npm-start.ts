// The `npm start` path of `npm run bench`: Hookline started the way its users
// start it (scripts/start.ts: wrangler's local runtime without the DevTools
// inspector, the request lines and local observability, as `npm start` leaves
// it; local state in a temporary folder on disk),
// beside the one-fetch worker, so the figures a user sees on this machine are
// the ones reported. Each run also reports the whole machine's CPU per request
// or event (every process: workerd, wrangler's front proxy and Node, the local
// egress proxies, the load and the receiver), which says what an event costs
// where the rate alone cannot.
//   a. ceilings: the raw-fetch worker under plain `wrangler dev` (as its users
//      start it: the inspector, a line per request, local observability), and
//      through wrangler's API as npm start runs; CONNECTIONS for SECONDS each;
//   b. ingest alone: NPM_START_EVENTS events at CONNECTIONS, no webhook yet;
//   c. end to end: NPM_START_EVENTS events at CONNECTIONS to one webhook with
//      the default settings (maxConcurrency 10), deliveries/s from the first
//      post to the last arrival, how many had arrived when posting stopped, and
//      the queue consumer's batches;
//   d. latency: NPM_START_LATENCY_EVENTS events at half of (c)'s rate, p50/p99
//      ingest→arrival.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startHookline as startAsNpmStart } from "../../test/support/local-hookline.ts";
import { type Arrival, arrivalLatencies, log, paced, percentile, root, sleep, waitFor } from "../lib.ts";
import { CONNECTIONS, grewBy, type LoadResult, load } from "../load.ts";
import { SAMPLE_EVENT } from "./ingest.ts";

export const NPM_START_EVENTS = Number(process.env.BENCH_NPM_START_EVENTS ?? 2000);
export const NPM_START_LATENCY_EVENTS = Number(process.env.BENCH_NPM_START_LATENCY_EVENTS ?? 1000);

/** Settings for `npm start` beyond its defaults, as JSON (e.g. '{"REGIONS":"[]"}' to send direct). */
const NPM_START_ENV = JSON.parse(process.env.BENCH_NPM_START_ENV ?? "{}") as Record<string, string>;

type Receiver = { url: string; arrivals: Arrival[] };

/** Busy CPU time of the whole machine so far (every core), in ms; undefined where /proc/stat is not. */
const machineBusyMs = () => {
	try {
		const [, ...fields] = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/);
		// user nice system idle iowait irq softirq steal: idle and iowait are not busy. (USER_HZ is 100 on Linux.)
		return fields.map(Number).reduce((sum, t, i) => (i === 3 || i === 4 ? sum : sum + t), 0) * 10;
	} catch {
		return undefined;
	}
};

/** Runs `work`; answers its result and the machine's busy CPU ms per item (`items` counted from the result). */
const measured = async <T>(work: () => Promise<T>, items: (result: T) => number) => {
	const before = machineBusyMs();
	const result = await work();
	const after = machineBusyMs();
	const n = items(result);
	return { result, cpuMsPer: before !== undefined && after !== undefined && n > 0 ? (after - before) / n : undefined };
};

export type NpmStartResult = {
	path: string;
	stateDirectory: string;
	/** The raw-fetch worker under plain `wrangler dev`, with wrangler's defaults. */
	rawFetch: LoadResult & { cpuMsPerRequest?: number };
	/** The raw-fetch worker through wrangler's API, as `npm start` runs Hookline. */
	rawFetchAsNpmStart: LoadResult & { cpuMsPerRequest?: number };
	ingestAlone: { eventsPerSecond: number; cpuMsPerEvent?: number };
	endToEnd: {
		events: number;
		accepted: number;
		deliveriesPerSecond: number;
		postingSeconds: number;
		arrivedWhilePosting: number;
		drainAfterPostingSeconds: number;
		ofRawFetch: number;
		ofRawFetchAsNpmStart: number;
		cpuMsPerEvent?: number;
		consumerBatches: number;
		messagesPerBatch: number;
	};
	halfPeak: {
		events: number;
		ratePerSecond: number;
		latencyMs: { p50: number; p95: number; p99: number };
		lost: number;
		duplicates: number;
	};
};

/**
 * The raw-fetch worker, state on disk, in a process group of its own: under
 * plain `wrangler dev` with wrangler's defaults, or as `npm start` runs
 * Hookline (../ceilings/start-as-npm-start.ts).
 */
const rawFetchCeiling = async (receiverUrl: string, state: string, wranglerDev: boolean) => {
	const { freePort } = await import("../../test/support/local-hookline.ts");
	const port = await freePort();
	const config = join(root, "bench", "ceilings", "raw-fetch.toml");
	const target = `${receiverUrl}/raw`;
	const [command, args] = wranglerDev
		? [
				join(root, "node_modules", ".bin", "wrangler"),
				[
					"dev",
					"--config",
					config,
					"--local",
					"--ip",
					"127.0.0.1",
					"--port",
					String(port),
					"--show-interactive-dev-session=false",
					"--persist-to",
					state,
					"--var",
					`TARGET_URL:${target}`,
				],
			]
		: [
				process.execPath,
				[join(root, "bench", "ceilings", "start-as-npm-start.ts"), config, String(port), state, `TARGET_URL=${target}`],
			];
	const child: ChildProcess = spawn(command, args, {
		cwd: root,
		detached: true,
		stdio: "ignore",
		env: {
			...process.env,
			// wrangler needs the pinned Node 24 first on the PATH (`npm run` puts it there).
			PATH: `${join(root, "node_modules", ".bin")}:${process.env.PATH ?? ""}`,
			WRANGLER_SEND_METRICS: "false",
			// Plain `wrangler dev` as its users run it: neither of the bench's own settings.
			...(wranglerDev ? { WRANGLER_LOG: undefined, X_LOCAL_OBSERVABILITY: undefined } : {}),
		},
	});
	const url = `http://127.0.0.1:${port}`;
	try {
		const ready = await waitFor(
			async () => {
				try {
					return (await fetch(url, { method: "POST", body: "{}" })).status === 202;
				} catch {
					return false;
				}
			},
			90_000,
			250,
		);
		if (!ready)
			throw new Error(
				`the raw-fetch worker (${wranglerDev ? "wrangler dev" : "as npm start"}) was not ready within 90 s`,
			);
		const { result, cpuMsPer } = await measured(
			() => load(url, { "content-type": "application/json" }, SAMPLE_EVENT),
			(r) => r.ok,
		);
		return { ...result, cpuMsPerRequest: cpuMsPer };
	} finally {
		try {
			if (child.pid) process.kill(-child.pid, "SIGTERM");
		} catch {}
		await Promise.race([new Promise((r) => child.once("exit", r)), sleep(5000)]);
	}
};

const cpuText = (ms: number | undefined, what: string) =>
	ms === undefined ? "" : `, ${ms.toFixed(2)} ms CPU per ${what}`;

export const npmStartPhases = async (receiver: Receiver): Promise<NpmStartResult> => {
	const state = mkdtempSync(join(tmpdir(), "hookline-bench-npm-start-"));
	try {
		log(`npm start path: raw-fetch worker under wrangler dev, ${CONNECTIONS} connections, state in ${tmpdir()}…`);
		const rawFetch = await rawFetchCeiling(receiver.url, state, true);
		log(`  ${rawFetch.requestsPerSecond.toFixed(0)} req/s${cpuText(rawFetch.cpuMsPerRequest, "request")}`);
		log("npm start path: raw-fetch worker through wrangler's API, as npm start runs…");
		const rawOff = await rawFetchCeiling(receiver.url, mkdtempSync(join(state, "raw-off-")), false);
		log(`  ${rawOff.requestsPerSecond.toFixed(0)} req/s${cpuText(rawOff.cpuMsPerRequest, "request")}`);
		receiver.arrivals.length = 0;

		log("npm start path: starting Hookline as `npm start` does (state on disk)…");
		// As a shell that sets none of them starts it (the bench sets WRANGLER_LOG for itself).
		const hookline = await startAsNpmStart({
			env: {
				WRANGLER_LOG: undefined,
				X_LOCAL_OBSERVABILITY: undefined,
				HOOKLINE_REQUEST_LOG: undefined,
				HOOKLINE_INSPECTOR: undefined,
				...NPM_START_ENV,
			},
		});
		try {
			const headers = { authorization: `Bearer ${hookline.adminToken}`, "content-type": "application/json" };
			const ingestHeaders = { authorization: `Bearer ${hookline.ingestToken}`, "content-type": "application/json" };
			const metricsNow = async () =>
				(await (await fetch(`${hookline.url}/v1/metrics`, { headers })).json()) as Record<string, unknown>;

			log(`  ingest alone: ${NPM_START_EVENTS} events at ${CONNECTIONS} connections, no webhook yet…`);
			const alone = await measured(
				() => load(`${hookline.url}/v1/events`, ingestHeaders, SAMPLE_EVENT, { amount: NPM_START_EVENTS }),
				(r) => r.ok,
			);
			const ingestAlone = { eventsPerSecond: alone.result.requestsPerSecond, cpuMsPerEvent: alone.cpuMsPer };
			log(`  ${ingestAlone.eventsPerSecond.toFixed(0)} events/s${cpuText(ingestAlone.cpuMsPerEvent, "event")}`);

			const created = await fetch(`${hookline.url}/v1/webhooks`, {
				method: "POST",
				headers,
				body: JSON.stringify({ name: "bench", eventTypes: ["bench.load"], url: `${receiver.url}/npm-start` }),
			});
			if (created.status !== 201) throw new Error(`creating the webhook: ${created.status} ${await created.text()}`);

			log(`  end to end: ${NPM_START_EVENTS} events at ${CONNECTIONS} connections, default webhook settings…`);
			receiver.arrivals.length = 0;
			const metricsBefore = await metricsNow();
			const start = Date.now();
			const { result: burst, cpuMsPer: cpuMsPerEvent } = await measured(
				async () => {
					const posted = await load(`${hookline.url}/v1/events`, ingestHeaders, SAMPLE_EVENT, {
						amount: NPM_START_EVENTS,
					});
					const postedAt = Date.now();
					const arrivedWhilePosting = receiver.arrivals.length;
					await waitFor(() => receiver.arrivals.length >= posted.ok, 300_000, 100);
					return { posted, postedAt, arrivedWhilePosting };
				},
				(r) => r.posted.ok,
			);
			const { posted, postedAt, arrivedWhilePosting } = burst;
			const metricsAfter = await metricsNow();
			const last = receiver.arrivals.at(-1)?.at ?? Date.now();
			const consumerBatches = grewBy(metricsBefore, metricsAfter, "queueBatches");
			const deliveriesPerSecond = receiver.arrivals.length / ((last - start) / 1000);
			const endToEnd = {
				events: NPM_START_EVENTS,
				accepted: posted.ok,
				deliveriesPerSecond,
				postingSeconds: (postedAt - start) / 1000,
				arrivedWhilePosting,
				drainAfterPostingSeconds: Math.max(0, (last - postedAt) / 1000),
				ofRawFetch: deliveriesPerSecond / rawFetch.requestsPerSecond,
				ofRawFetchAsNpmStart: deliveriesPerSecond / rawOff.requestsPerSecond,
				cpuMsPerEvent,
				consumerBatches,
				messagesPerBatch: grewBy(metricsBefore, metricsAfter, "queueMessagesHandled") / Math.max(1, consumerBatches),
			};
			log(
				`  ${deliveriesPerSecond.toFixed(0)} deliveries/s (${(100 * endToEnd.ofRawFetch).toFixed(0)} % of raw-fetch under wrangler dev, ` +
					`${(100 * endToEnd.ofRawFetchAsNpmStart).toFixed(0)} % of it as npm start runs)${cpuText(endToEnd.cpuMsPerEvent, "event")}; ` +
					`${arrivedWhilePosting} of ${posted.ok} arrived during the ${endToEnd.postingSeconds.toFixed(1)} s of posting, ` +
					`the rest ${endToEnd.drainAfterPostingSeconds.toFixed(1)} s after; ` +
					`${consumerBatches} consumer batches of ${endToEnd.messagesPerBatch.toFixed(0)} messages on average`,
			);

			const rate = Math.max(1, Math.floor(deliveriesPerSecond / 2));
			log(`  latency: ${NPM_START_LATENCY_EVENTS} events at ${rate}/s (half that)…`);
			await sleep(1000); // let the last batch's writes settle before the paced run
			receiver.arrivals.length = 0;
			const run = await paced(`${hookline.url}/v1/events`, ingestHeaders, rate, NPM_START_LATENCY_EVENTS, () => {});
			await waitFor(() => receiver.arrivals.length >= run.sentAt.size, 120_000, 250);
			await run.close();
			const { latencies, lost, duplicates } = arrivalLatencies(receiver.arrivals, run.sentAt);
			const halfPeak = {
				events: NPM_START_LATENCY_EVENTS,
				ratePerSecond: rate,
				latencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99) },
				lost,
				duplicates,
			};
			log(
				`  p50 ${halfPeak.latencyMs.p50} ms, p95 ${halfPeak.latencyMs.p95} ms, p99 ${halfPeak.latencyMs.p99} ms; lost ${lost}, duplicates ${duplicates}`,
			);
			return {
				path: "npm start (scripts/start.ts: wrangler's local runtime as npm start runs it), state on disk, loopback",
				stateDirectory: tmpdir(),
				rawFetch,
				rawFetchAsNpmStart: rawOff,
				ingestAlone,
				endToEnd,
				halfPeak,
			};
		} finally {
			await hookline.stop();
		}
	} finally {
		rmSync(state, { recursive: true, force: true });
	}
};
