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
//   c. end to end (./burst.ts): NPM_START_EVENTS events at CONNECTIONS to one
//      webhook with the default settings (maxConcurrency 10), then again to one
//      that allows CONNECTIONS sends at once, as many as the ceiling's
//      connections make to the receiver (the judged run: 10 at once bound a
//      receiver to 10 ÷ the time a send takes);
//   d. latency: NPM_START_LATENCY_EVENTS events at half of (c)'s rate, p50/p99
//      ingest→arrival.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startHookline as startAsNpmStart } from "../../test/support/local-hookline.ts";
import { type Arrival, arrivalLatencies, log, paced, percentile, root, sleep, waitFor } from "../lib.ts";
import { CONNECTIONS, type LoadResult, load } from "../load.ts";
import { cpuText, measured } from "../machine-cpu.ts";
import { burst, type EndToEndRun, NPM_START_EVENTS } from "./burst.ts";
import { SAMPLE_EVENT } from "./ingest.ts";
export const NPM_START_LATENCY_EVENTS = Number(process.env.BENCH_NPM_START_LATENCY_EVENTS ?? 1000);

/** Settings for `npm start` beyond its defaults, as JSON (e.g. '{"REGIONS":"[]"}' to send direct). */
const NPM_START_ENV = JSON.parse(process.env.BENCH_NPM_START_ENV ?? "{}") as Record<string, string>;

type Receiver = { url: string; arrivals: Arrival[] };

type Against = { ofRawFetch: number; ofRawFetchAsNpmStart: number };

export type NpmStartResult = {
	path: string;
	stateDirectory: string;
	/** The raw-fetch worker under plain `wrangler dev`, with wrangler's defaults. */
	rawFetch: LoadResult & { cpuMsPerRequest?: number };
	/** The raw-fetch worker through wrangler's API, as `npm start` runs Hookline. */
	rawFetchAsNpmStart: LoadResult & { cpuMsPerRequest?: number };
	ingestAlone: { eventsPerSecond: number; cpuMsPerEvent?: number };
	/** The judged run: the webhook allows as many sends at once as the ceiling's connections make. */
	endToEnd: EndToEndRun & Against;
	/** The same with the webhook's default settings (maxConcurrency 10). */
	defaultSettings: EndToEndRun & Against;
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

			// First with the webhook's default settings (maxConcurrency 10), then as many sends at once
			// as the ceiling's connections make (50): the judged run, the latency run's webhook.
			const target = { url: hookline.url, headers, ingestHeaders, metricsNow };
			const byDefault = await burst(target, receiver, "default webhook settings (maxConcurrency 10)", {});
			await fetch(`${hookline.url}/v1/webhooks/${byDefault.webhookId}`, { method: "DELETE", headers });
			const judged = await burst(target, receiver, `maxConcurrency ${CONNECTIONS}, as the ceiling's connections`, {
				maxConcurrency: CONNECTIONS,
			});
			const ceilingsOf = (r: EndToEndRun) => ({
				ofRawFetch: r.deliveriesPerSecond / rawFetch.requestsPerSecond,
				ofRawFetchAsNpmStart: r.deliveriesPerSecond / rawOff.requestsPerSecond,
			});
			const endToEnd = { ...judged.result, ...ceilingsOf(judged.result) };
			const defaultSettings = { ...byDefault.result, ...ceilingsOf(byDefault.result) };
			for (const [r, what] of [
				[defaultSettings, "default settings"],
				[endToEnd, `maxConcurrency ${CONNECTIONS}`],
			] as const)
				log(
					`  ${what}: ${(100 * r.ofRawFetch).toFixed(0)} % of raw-fetch under wrangler dev, ${(100 * r.ofRawFetchAsNpmStart).toFixed(0)} % of it as npm start runs`,
				);
			const { deliveriesPerSecond } = endToEnd;

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
				defaultSettings,
				halfPeak,
			};
		} finally {
			await hookline.stop();
		}
	} finally {
		rmSync(state, { recursive: true, force: true });
	}
};
