// `npm run bench`: measures Hookline against the runtime's own ceilings, all
// three started the same way on this machine (wrangler's unstable_startWorker
// in this process, local workerd with D1, Queues and Durable Objects, the
// DevTools inspector off), with a keep-alive receiver on 127.0.0.1.
//
//   1. ceilings: a no-op worker (POST → 202) and a raw-fetch worker (each POST
//      makes one fetch to the receiver), 50 connections for BENCH_SECONDS;
//   2. ingest: POST /v1/events at 50 connections for BENCH_SECONDS, one
//      matching webhook, with the queue consumers off (accept and enqueue
//      alone); then, consumers on, the same load with the receiver answering
//      503 (the retry policy waits an hour) builds a backlog of at most
//      BENCH_BACKLOG_EVENTS that a bulk re-send releases: its drain gives the
//      peak deliveries/s;
//   3. end to end: the peak rate of ingest and delivery together (50
//      connections, receiver up), then BENCH_E2E_EVENTS events at half of it:
//      ingest→arrival latency, lost, duplicates, and the cost per delivery
//      from Hookline's own counters (GET /v1/metrics);
//   4. fan-out: one event to 100 webhooks, time until all arrived;
//   5. a pipeline ceiling at the half-peak rate: a worker that stores each
//      POST in D1 and enqueues its id, and a consumer that reads it back and
//      fetches the receiver; its ingest→arrival latency is the floor for
//      Hookline's on the same runtime.
// Writes .artifacts/bench/bench-<time>.json and prints a summary.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import autocannon from "autocannon";
import pkg from "../package.json" with { type: "json" };

process.env.WRANGLER_LOG ??= "warn";

import {
	arrivalLatencies,
	BENCH_TOKENS,
	benchState,
	benchStateRoot,
	describeStateRoot,
	log,
	paced,
	percentile,
	root,
	sleep,
	startArrivalReceiver,
	startHookline,
	startInProcess,
	waitFor,
} from "./lib.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const CONNECTIONS = 50;
const E2E_EVENTS = Number(process.env.BENCH_E2E_EVENTS ?? 5000);
/**
 * The backlog's size bound. Draining it made the gates answer busy and the
 * consumer requeue with a delay (before parking, #16 item 7), and the local
 * queue keeps one timer per delayed message within workerd's 10,000 per
 * isolate: on a fast machine an unbounded 15 s backlog passed that, and the
 * drain stalled.
 */
const BACKLOG_EVENTS = Number(process.env.BENCH_BACKLOG_EVENTS ?? 5000);
const FAN_OUT = 100;

/** Load at CONNECTIONS for SECONDS, or until `amount` requests when given. */
const load = async (url: string, headers: Record<string, string>, body: string, amount?: number) => {
	const result = await autocannon({
		url,
		method: "POST",
		connections: CONNECTIONS,
		duration: SECONDS,
		...(amount ? { amount } : {}),
		headers,
		body,
	});
	return {
		requestsPerSecond: result.requests.average,
		latencyP50Ms: result.latency.p50,
		latencyP99Ms: result.latency.p99,
		ok: result["2xx"],
		non2xx: result.non2xx,
		errors: result.errors,
	};
};

const main = async () => {
	const started = Date.now();
	let receiverDown = false;
	const receiver = await startArrivalReceiver(() => (receiverDown ? { status: 503 } : { status: 200 }));
	log(`receiver on ${receiver.url}; ${describeStateRoot()}`);
	const json = { "content-type": "application/json" };
	const sample = JSON.stringify({ type: "bench.load", data: { loanId: "L-1", amount: 2500 } });

	log(`ceiling: no-op worker, ${CONNECTIONS} connections for ${SECONDS} s…`);
	const noop = await startInProcess(join(root, "bench", "ceilings", "noop.toml"));
	const noopResult = await load(noop.url, json, sample);
	await noop.stop();
	log(`  ${noopResult.requestsPerSecond.toFixed(0)} req/s`);

	log(`ceiling: raw-fetch worker, ${CONNECTIONS} connections for ${SECONDS} s…`);
	const raw = await startInProcess(join(root, "bench", "ceilings", "raw-fetch.toml"), {
		vars: { TARGET_URL: `${receiver.url}/raw` },
	});
	const rawResult = await load(raw.url, json, sample);
	await raw.stop();
	log(`  ${rawResult.requestsPerSecond.toFixed(0)} req/s`);
	receiver.arrivals.length = 0;

	const ingest = { authorization: `Bearer ${BENCH_TOKENS.ingest}`, ...json };

	// Ingest alone: the same worker without its queue consumers, so the figure is the
	// accept-and-enqueue path and not also the deliveries it causes, which in production
	// run in other isolates but here share the same two cores.
	log(`ingest: POST /v1/events, ${CONNECTIONS} connections for ${SECONDS} s (queue consumers off)…`);
	const ingestConfig = join(root, ".bench-ingest.wrangler.toml");
	writeFileSync(
		ingestConfig,
		readFileSync(join(root, "wrangler.toml"), "utf8").replace(/\[\[queues\.consumers\]\][\s\S]*?(?=\n\[)/g, ""),
	);
	let ingestResult: Awaited<ReturnType<typeof load>>;
	let ingestGrouping = { ingestsPerD1Batch: 0, eventsPerQueueSend: 0 };
	const ingestOnly = await startHookline(ingestConfig);
	try {
		await ingestOnly.api("POST", "/v1/webhooks", {
			name: "bench",
			eventTypes: ["bench.load"],
			url: `${receiver.url}/load`,
		});
		ingestResult = await load(`${ingestOnly.url}/v1/events`, ingest, sample);
		const m = (await ingestOnly.api("GET", "/v1/metrics")) as Record<string, number>;
		ingestGrouping = {
			ingestsPerD1Batch: (m.d1GroupedIngests ?? 0) / Math.max(1, m.d1IngestRounds ?? 0),
			eventsPerQueueSend: (m.queueMessagesSent ?? 0) / Math.max(1, m.queueSendCalls ?? 0),
		};
	} finally {
		await ingestOnly.stop();
		rmSync(ingestConfig, { force: true });
	}
	log(
		`  ${ingestResult.requestsPerSecond.toFixed(0)} events/s accepted (${ingestResult.non2xx} not 2xx, ${ingestResult.errors} errors), p50 ${ingestResult.latencyP50Ms} ms, p99 ${ingestResult.latencyP99Ms} ms`,
	);

	log(
		`  ${ingestGrouping.ingestsPerD1Batch.toFixed(1)} ingests per D1 batch, ${ingestGrouping.eventsPerQueueSend.toFixed(1)} messages per queue send; ${((100 * ingestResult.requestsPerSecond) / noopResult.requestsPerSecond).toFixed(0)} % of no-op`,
	);
	if (process.env.BENCH_ONLY === "ingest") {
		await receiver.close();
		return;
	}

	log("starting Hookline with its consumers (temporary state, migrations applied)…");
	const hookline = await startHookline(join(root, "wrangler.toml"));
	const api = hookline.api;
	const result: Record<string, unknown> = {};
	try {
		await api("POST", "/v1/webhooks", {
			name: "bench",
			eventTypes: ["bench.load"],
			url: `${receiver.url}/load`,
			maxConcurrency: 50,
			// The first attempts (receiver down) wait an hour; the bulk re-send releases them.
			retryPolicy: { delaysSeconds: [3600] },
			// The receiver is down on purpose: the circuit must not hold the backlog back.
			failureThreshold: 1_000_000,
		});

		log(
			`backlog: POST /v1/events, ${BACKLOG_EVENTS} at ${CONNECTIONS} connections, the receiver answering 503 for now…`,
		);
		receiverDown = true;
		const ingestWithDeliveries = await load(`${hookline.url}/v1/events`, ingest, sample, BACKLOG_EVENTS);
		log(`  ${ingestWithDeliveries.requestsPerSecond.toFixed(0)} events/s accepted while their first attempts ran`);
		const backlog = await waitFor(
			async () => {
				const page = await api("GET", "/v1/notifications?status=pending&limit=1");
				return (page.data as unknown[]).length === 0;
			},
			300_000,
			500,
		);
		log(`  first attempts done${backlog ? "" : " (timed out)"}; releasing the backlog with a bulk re-send…`);
		receiverDown = false;
		receiver.arrivals.length = 0;
		const drainStart = Date.now();
		const { count: released } = (await api("POST", "/v1/notifications/resend", { status: "retrying" })) as {
			count: number;
		};
		const drained = await waitFor(() => new Set(receiver.arrivals.map((a) => a.key)).size >= released, 300_000, 100);
		const lastArrival = receiver.arrivals.at(-1)?.at ?? Date.now();
		const peakDeliveries = released / ((lastArrival - drainStart) / 1000);
		log(
			`  ${released} re-sent, drained in ${((lastArrival - drainStart) / 1000).toFixed(1)} s${drained ? "" : " (timed out)"}: ${peakDeliveries.toFixed(0)} deliveries/s`,
		);

		log(`end-to-end peak: POST /v1/events at ${CONNECTIONS} connections for ${SECONDS} s with the receiver up…`);
		receiver.arrivals.length = 0;
		const peakStart = Date.now();
		const peakIngest = await load(`${hookline.url}/v1/events`, ingest, sample);
		await waitFor(() => receiver.arrivals.length >= peakIngest.ok, 300_000, 100);
		const peakEndToEnd = receiver.arrivals.length / (((receiver.arrivals.at(-1)?.at ?? Date.now()) - peakStart) / 1000);
		log(`  ${peakEndToEnd.toFixed(0)} events/s ingested and delivered`);

		const rate = Math.max(1, Math.floor(peakEndToEnd / 2));
		log(`end to end: ${E2E_EVENTS} events at ${rate}/s (half the end-to-end peak)…`);
		// Start the cost window when the queue is idle: no deliveries for a second.
		let lastDelivered = -1;
		await waitFor(
			async () => {
				const now = Number((await api("GET", "/v1/metrics")).delivered ?? 0);
				const idle = now === lastDelivered;
				lastDelivered = now;
				return idle;
			},
			60_000,
			1000,
		);
		receiver.arrivals.length = 0;
		const before = await api("GET", "/v1/metrics");
		const run = await paced(`${hookline.url}/v1/events`, ingest, rate, E2E_EVENTS, (sent) =>
			log(`  ${sent} sent, ${receiver.arrivals.length} arrived`),
		);
		const { sentAt, refused } = run;
		await waitFor(() => receiver.arrivals.length >= sentAt.size, 120_000, 250);
		await sleep(2000); // a late duplicate would show up here
		await run.close();
		const after = await api("GET", "/v1/metrics");
		const { latencies, lost, duplicates } = arrivalLatencies(receiver.arrivals, sentAt);
		const delta = (name: string) => Number(after[name] ?? 0) - Number(before[name] ?? 0);
		const delivered = delta("delivered") || 1;
		const e2eSeconds = ((receiver.arrivals.at(-1)?.at ?? Date.now()) - run.start) / 1000;
		const e2e = {
			events: E2E_EVENTS,
			ratePerSecond: rate,
			accepted: sentAt.size,
			refused,
			deliveriesPerSecond: receiver.arrivals.length / e2eSeconds,
			latencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99) },
			lost,
			duplicates,
			costPerDelivery: {
				queueMessages: delta("queueMessagesSent") / delivered,
				durableObjectCalls: delta("gateCalls") / delivered,
				d1WriteStatements: delta("d1DeliveryWriteStatements") / delivered,
				d1IngestWriteStatementsPerEvent: delta("d1IngestWriteStatements") / (delta("eventsIngested") || 1),
				d1Reads: delta("d1Reads") / delivered,
			},
		};
		log(
			`  p50 ${e2e.latencyMs.p50} ms, p95 ${e2e.latencyMs.p95} ms, p99 ${e2e.latencyMs.p99} ms; lost ${e2e.lost}, duplicates ${e2e.duplicates}`,
		);

		log(`fan-out: one event to ${FAN_OUT} webhooks…`);
		for (let i = 0; i < FAN_OUT; i++) {
			await api("POST", "/v1/webhooks", {
				name: `fan ${i}`,
				eventTypes: ["bench.fanout"],
				url: `${receiver.url}/fan/${i}`,
			});
		}
		receiver.arrivals.length = 0;
		const fanStart = Date.now();
		await fetch(`${hookline.url}/v1/events`, {
			method: "POST",
			headers: ingest,
			body: JSON.stringify({ type: "bench.fanout", data: {} }),
		});
		const fanned = await waitFor(() => new Set(receiver.arrivals.map((a) => a.key)).size >= FAN_OUT, 60_000, 20);
		const fanOutMs = (receiver.arrivals.at(-1)?.at ?? Date.now()) - fanStart;
		log(`  all ${FAN_OUT} arrived in ${fanOutMs} ms${fanned ? "" : " (timed out)"}`);

		Object.assign(result, {
			machine: { cores: (await import("node:os")).cpus().length, node: process.version, platform: process.platform },
			versions: { hookline: pkg.version, wrangler: pkg.devDependencies.wrangler },
			path: "wrangler unstable_startWorker in-process (local workerd, inspector off), loopback",
			stateDirectory: benchStateRoot(),
			seconds: SECONDS,
			connections: CONNECTIONS,
			ceilings: { noop: noopResult, rawFetch: rawResult },
			ingest: { ...ingestResult, ...ingestGrouping },
			ingestWithDeliveriesOnTheSameCores: ingestWithDeliveries,
			peakDeliveriesPerSecond: peakDeliveries,
			peakEndToEndPerSecond: peakEndToEnd,
			endToEnd: e2e,
			fanOut: { webhooks: FAN_OUT, allArrivedMs: fanOutMs, complete: fanned },
			ratios: {
				ingestOfNoop: ingestResult.requestsPerSecond / noopResult.requestsPerSecond,
				deliveriesOfRawFetch: peakDeliveries / rawResult.requestsPerSecond,
			},
		});
	} finally {
		await hookline.stop();
	}

	// The pipeline ceiling at the same rate, with Hookline stopped: the latency of the least a
	// durable, queue-driven delivery can be on this runtime (bench/ceilings/pipeline.ts).
	const rate = (result.endToEnd as { ratePerSecond: number }).ratePerSecond;
	log(`ceiling: pipeline worker (store, enqueue, read back, fetch), ${E2E_EVENTS} events at ${rate}/s…`);
	receiver.arrivals.length = 0;
	const pipelineState = benchState("hookline-bench-pipeline-");
	const pipeline = await startInProcess(join(root, "bench", "ceilings", "pipeline.toml"), {
		persist: pipelineState,
		vars: { TARGET_URL: `${receiver.url}/pipeline` },
	});
	try {
		// Two seconds at the rate first, not counted: Hookline too was warm when it was measured.
		const warmUp = await paced(pipeline.url, json, rate, rate * 2, () => {});
		await waitFor(() => receiver.arrivals.length >= warmUp.sentAt.size, 30_000, 100);
		await warmUp.close();
		receiver.arrivals.length = 0;
		const run = await paced(pipeline.url, json, rate, E2E_EVENTS, (sent) =>
			log(`  ${sent} sent, ${receiver.arrivals.length} arrived`),
		);
		await waitFor(() => receiver.arrivals.length >= run.sentAt.size, 120_000, 250);
		await run.close();
		const { latencies, lost } = arrivalLatencies(receiver.arrivals, run.sentAt);
		const latencyMs = {
			p50: percentile(latencies, 50),
			p95: percentile(latencies, 95),
			p99: percentile(latencies, 99),
		};
		log(`  p50 ${latencyMs.p50} ms, p95 ${latencyMs.p95} ms, p99 ${latencyMs.p99} ms; lost ${lost}`);
		(result.ceilings as Record<string, unknown>).pipeline = {
			ratePerSecond: rate,
			accepted: run.sentAt.size,
			refused: run.refused,
			lost,
			latencyMs,
		};
	} finally {
		await pipeline.stop();
		rmSync(pipelineState, { recursive: true, force: true });
		await receiver.close();
	}

	const ratios = result.ratios as { ingestOfNoop: number; deliveriesOfRawFetch: number };
	const e2e = result.endToEnd as {
		latencyMs: { p50: number; p99: number };
		lost: number;
		duplicates: number;
		costPerDelivery: { queueMessages: number; durableObjectCalls: number; d1WriteStatements: number };
	};
	const targets = [
		["ingest ≥ 60 % of no-op", ratios.ingestOfNoop >= 0.6, `${(ratios.ingestOfNoop * 100).toFixed(0)} %`],
		[
			"deliveries ≥ 50 % of raw-fetch",
			ratios.deliveriesOfRawFetch >= 0.5,
			`${(ratios.deliveriesOfRawFetch * 100).toFixed(0)} %`,
		],
		["ingest→arrival p50 ≤ 50 ms at half peak", e2e.latencyMs.p50 <= 50, `${e2e.latencyMs.p50} ms`],
		["ingest→arrival p99 ≤ 500 ms at half peak", e2e.latencyMs.p99 <= 500, `${e2e.latencyMs.p99} ms`],
		[
			"≤ 1 queue message / delivery",
			e2e.costPerDelivery.queueMessages <= 1,
			e2e.costPerDelivery.queueMessages.toFixed(2),
		],
		[
			"≤ 1 DO call / delivery",
			e2e.costPerDelivery.durableObjectCalls <= 1,
			e2e.costPerDelivery.durableObjectCalls.toFixed(2),
		],
		[
			"≤ 2 D1 writes / delivery",
			e2e.costPerDelivery.d1WriteStatements <= 2,
			e2e.costPerDelivery.d1WriteStatements.toFixed(2),
		],
		["0 lost, 0 duplicates", e2e.lost === 0 && e2e.duplicates === 0, `${e2e.lost} lost, ${e2e.duplicates} duplicates`],
	] as const;
	Object.assign(result, { targets: Object.fromEntries(targets.map(([name, met, value]) => [name, { met, value }])) });

	const dir = join(root, ".artifacts", "bench");
	mkdirSync(dir, { recursive: true });
	const file = join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
	writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);

	console.log("\nHookline benchmark (loopback, local workerd via unstable_startWorker, inspector off)");
	console.log(`  ${describeStateRoot()}`);
	console.log(
		`  no-op ceiling        ${(result.ceilings as { noop: { requestsPerSecond: number } }).noop.requestsPerSecond.toFixed(0)} req/s`,
	);
	console.log(
		`  raw-fetch ceiling    ${(result.ceilings as { rawFetch: { requestsPerSecond: number } }).rawFetch.requestsPerSecond.toFixed(0)} req/s`,
	);
	const pipelineLatency = (result.ceilings as { pipeline: { latencyMs: { p50: number; p99: number } } }).pipeline
		.latencyMs;
	console.log(
		`  pipeline ceiling     p50 ${pipelineLatency.p50} ms, p99 ${pipelineLatency.p99} ms at the same ${(result.endToEnd as { ratePerSecond: number }).ratePerSecond}/s`,
	);
	for (const [name, met, value] of targets) console.log(`  ${met ? "met " : "MISS"}  ${name.padEnd(42)} ${value}`);
	console.log(`  fan-out to ${FAN_OUT}        ${(result.fanOut as { allArrivedMs: number }).allArrivedMs} ms`);
	console.log(`\n  result: ${file} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
};

main().catch((err) => {
	console.error(err);
	process.exit(1);
});
