// The `npm start` path of `npm run bench`: Hookline started the way its users
// start it (scripts/start.ts → wrangler dev, the DevTools inspector as
// `npm start` leaves it, local state in a temporary folder on disk), beside
// the one-fetch worker started through `wrangler dev` the same way, so the
// figures a user sees on this machine are the ones reported.
//   a. ceiling: the raw-fetch worker under `wrangler dev`, CONNECTIONS for SECONDS;
//   b. end to end: NPM_START_EVENTS events at CONNECTIONS to one webhook with
//      the default settings (maxConcurrency 10), deliveries/s from the first
//      post to the last arrival, and how many had arrived when posting stopped;
//   c. latency: NPM_START_LATENCY_EVENTS events at half of (b)'s rate, p50/p99
//      ingest→arrival.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startHookline as startAsNpmStart } from "../../test/support/local-hookline.ts";
import { type Arrival, arrivalLatencies, log, paced, percentile, root, sleep, waitFor } from "../lib.ts";
import { CONNECTIONS, type LoadResult, load } from "../load.ts";
import { SAMPLE_EVENT } from "./ingest.ts";

export const NPM_START_EVENTS = Number(process.env.BENCH_NPM_START_EVENTS ?? 2000);
export const NPM_START_LATENCY_EVENTS = Number(process.env.BENCH_NPM_START_LATENCY_EVENTS ?? 1000);

/** Settings for `npm start` beyond its defaults, as JSON (e.g. '{"REGIONS":"[]"}' to send direct). */
const NPM_START_ENV = JSON.parse(process.env.BENCH_NPM_START_ENV ?? "{}") as Record<string, string>;

type Receiver = { url: string; arrivals: Arrival[] };

export type NpmStartResult = {
	path: string;
	stateDirectory: string;
	rawFetch: LoadResult;
	endToEnd: {
		events: number;
		accepted: number;
		deliveriesPerSecond: number;
		postingSeconds: number;
		arrivedWhilePosting: number;
		drainAfterPostingSeconds: number;
		ofRawFetch: number;
	};
	halfPeak: {
		events: number;
		ratePerSecond: number;
		latencyMs: { p50: number; p95: number; p99: number };
		lost: number;
		duplicates: number;
	};
};

/** The raw-fetch ceiling under `wrangler dev` (as `npm start` runs wrangler), state on disk. */
const rawFetchUnderWranglerDev = async (receiverUrl: string, state: string) => {
	const { freePort } = await import("../../test/support/local-hookline.ts");
	const port = await freePort();
	const child: ChildProcess = spawn(
		join(root, "node_modules", ".bin", "wrangler"),
		[
			"dev",
			"--config",
			join(root, "bench", "ceilings", "raw-fetch.toml"),
			"--local",
			"--ip",
			"127.0.0.1",
			"--port",
			String(port),
			"--show-interactive-dev-session=false",
			"--persist-to",
			state,
			"--var",
			`TARGET_URL:${receiverUrl}/raw`,
		],
		{
			cwd: root,
			detached: true,
			stdio: "ignore",
			env: {
				...process.env,
				// wrangler needs the pinned Node 24 first on the PATH (`npm run` puts it there).
				PATH: `${join(root, "node_modules", ".bin")}:${process.env.PATH ?? ""}`,
				WRANGLER_SEND_METRICS: "false",
			},
		},
	);
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
		if (!ready) throw new Error("the raw-fetch worker under wrangler dev was not ready within 90 s");
		return await load(url, { "content-type": "application/json" }, SAMPLE_EVENT);
	} finally {
		try {
			if (child.pid) process.kill(-child.pid, "SIGTERM");
		} catch {}
		await Promise.race([new Promise((r) => child.once("exit", r)), sleep(5000)]);
	}
};

export const npmStartPhases = async (receiver: Receiver): Promise<NpmStartResult> => {
	const state = mkdtempSync(join(tmpdir(), "hookline-bench-npm-start-"));
	try {
		log(`npm start path: raw-fetch worker under wrangler dev, ${CONNECTIONS} connections, state in ${tmpdir()}…`);
		const rawFetch = await rawFetchUnderWranglerDev(receiver.url, state);
		log(`  ${rawFetch.requestsPerSecond.toFixed(0)} req/s`);
		receiver.arrivals.length = 0;

		log("npm start path: starting Hookline as `npm start` does (state on disk)…");
		const hookline = await startAsNpmStart({ env: NPM_START_ENV });
		try {
			const headers = { authorization: `Bearer ${hookline.adminToken}`, "content-type": "application/json" };
			const created = await fetch(`${hookline.url}/v1/webhooks`, {
				method: "POST",
				headers,
				body: JSON.stringify({ name: "bench", eventTypes: ["bench.load"], url: `${receiver.url}/npm-start` }),
			});
			if (created.status !== 201) throw new Error(`creating the webhook: ${created.status} ${await created.text()}`);
			const ingestHeaders = { authorization: `Bearer ${hookline.ingestToken}`, "content-type": "application/json" };

			log(`  end to end: ${NPM_START_EVENTS} events at ${CONNECTIONS} connections, default webhook settings…`);
			receiver.arrivals.length = 0;
			const start = Date.now();
			const posted = await load(`${hookline.url}/v1/events`, ingestHeaders, SAMPLE_EVENT, {
				amount: NPM_START_EVENTS,
			});
			const postedAt = Date.now();
			const arrivedWhilePosting = receiver.arrivals.length;
			await waitFor(() => receiver.arrivals.length >= posted.ok, 300_000, 100);
			const last = receiver.arrivals.at(-1)?.at ?? Date.now();
			const deliveriesPerSecond = receiver.arrivals.length / ((last - start) / 1000);
			const endToEnd = {
				events: NPM_START_EVENTS,
				accepted: posted.ok,
				deliveriesPerSecond,
				postingSeconds: (postedAt - start) / 1000,
				arrivedWhilePosting,
				drainAfterPostingSeconds: Math.max(0, (last - postedAt) / 1000),
				ofRawFetch: deliveriesPerSecond / rawFetch.requestsPerSecond,
			};
			log(
				`  ${deliveriesPerSecond.toFixed(0)} deliveries/s (${(100 * endToEnd.ofRawFetch).toFixed(0)} % of raw-fetch); ` +
					`${arrivedWhilePosting} of ${posted.ok} arrived during the ${endToEnd.postingSeconds.toFixed(1)} s of posting, ` +
					`the rest ${endToEnd.drainAfterPostingSeconds.toFixed(1)} s after`,
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
				path: "npm start (scripts/start.ts → wrangler dev), state on disk, loopback",
				stateDirectory: tmpdir(),
				rawFetch,
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
