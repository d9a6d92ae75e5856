// Phases 4 to 7 of `npm run bench`, on Hookline with its queue consumers, all
// as tenant `bench` (events with its ingest key, the rest with the admin token
// under /v1/tenants/bench/…):
//   4. backlog: BACKLOG_EVENTS events with the receiver answering 503 (the
//      retry policy waits an hour), then a bulk re-send with the receiver up:
//      its drain gives the peak deliveries/s;
//   5. end-to-end peak: ingest and delivery together at CONNECTIONS;
//   6. half peak: E2E_EVENTS events at half that rate: ingest→arrival latency,
//      lost, duplicates, and the cost per delivery from GET /v1/metrics;
//   7. fan-out: one event to FAN_OUT webhooks, time until all arrived.
import { join } from "node:path";
import { type Arrival, arrivalLatencies, log, paced, percentile, root, sleep, startHookline, waitFor } from "../lib.ts";
import { CONNECTIONS, catalogReadsOver, grewBy, load, SECONDS } from "../load.ts";
import { SAMPLE_EVENT } from "./ingest.ts";
import { benchTenant } from "./tenant.ts";

export const E2E_EVENTS = Number(process.env.BENCH_E2E_EVENTS ?? 5000);
/**
 * The backlog's size bound. Draining it made the gates answer busy and the
 * consumer requeue with a delay (before parking, #16 item 7), and the local
 * queue keeps one timer per delayed message within workerd's 10,000 per
 * isolate: on a fast machine an unbounded 15 s backlog passed that, and the
 * drain stalled.
 */
export const BACKLOG_EVENTS = Number(process.env.BENCH_BACKLOG_EVENTS ?? 5000);
export const FAN_OUT = 100;

type Receiver = {
	url: string;
	arrivals: Arrival[];
	/** Whether the receiver answers 503 for now. */
	down: (down: boolean) => void;
};

export const deliveryPhases = async (receiver: Receiver) => {
	log("starting Hookline with its consumers (temporary state, migrations applied)…");
	const hookline = await startHookline(join(root, "wrangler.toml"));
	const { api } = hookline;
	try {
		const tenant = await benchTenant(api);
		const events = `${hookline.url}${tenant.eventsPath}`;
		const start = await api("GET", "/v1/metrics");
		await api("POST", tenant.path("/webhooks"), {
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
		receiver.down(true);
		const ingestWithDeliveries = await load(events, tenant.ingestHeaders, SAMPLE_EVENT, { amount: BACKLOG_EVENTS });
		log(`  ${ingestWithDeliveries.requestsPerSecond.toFixed(0)} events/s accepted while their first attempts ran`);
		const backlog = await waitFor(
			async () => {
				const page = await api("GET", tenant.path("/notifications?status=pending&limit=1"));
				return (page.data as unknown[]).length === 0;
			},
			300_000,
			500,
		);
		log(`  first attempts done${backlog ? "" : " (timed out)"}; releasing the backlog with a bulk re-send…`);
		receiver.down(false);
		receiver.arrivals.length = 0;
		const drainStart = Date.now();
		const { count: released } = (await api("POST", tenant.path("/notifications/resend"), { status: "retrying" })) as {
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
		const peakIngest = await load(events, tenant.ingestHeaders, SAMPLE_EVENT);
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
		const run = await paced(events, tenant.ingestHeaders, rate, E2E_EVENTS, (sent) =>
			log(`  ${sent} sent, ${receiver.arrivals.length} arrived`),
		);
		const { sentAt, refused } = run;
		await waitFor(() => receiver.arrivals.length >= sentAt.size, 120_000, 250);
		await sleep(2000); // a late duplicate would show up here
		await run.close();
		const after = await api("GET", "/v1/metrics");
		const { latencies, lost, duplicates } = arrivalLatencies(receiver.arrivals, sentAt);
		const delta = (name: string) => grewBy(before, after, name);
		const delivered = delta("delivered") || 1;
		const e2eSeconds = ((receiver.arrivals.at(-1)?.at ?? Date.now()) - run.start) / 1000;
		const endToEnd = {
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
				catalogReadsPerEvent: catalogReadsOver(before, after).catalogReadsPerEvent,
			},
		};
		log(
			`  p50 ${endToEnd.latencyMs.p50} ms, p95 ${endToEnd.latencyMs.p95} ms, p99 ${endToEnd.latencyMs.p99} ms; lost ${lost}, duplicates ${duplicates}`,
		);

		log(`fan-out: one event to ${FAN_OUT} webhooks…`);
		for (let i = 0; i < FAN_OUT; i++) {
			await api("POST", tenant.path("/webhooks"), {
				name: `fan ${i}`,
				eventTypes: ["bench.fanout"],
				url: `${receiver.url}/fan/${i}`,
			});
		}
		receiver.arrivals.length = 0;
		const fanStart = Date.now();
		await fetch(events, {
			method: "POST",
			headers: tenant.ingestHeaders,
			body: JSON.stringify({ type: "bench.fanout", data: {} }),
		});
		const fanned = await waitFor(() => new Set(receiver.arrivals.map((a) => a.key)).size >= FAN_OUT, 60_000, 20);
		const fanOutMs = (receiver.arrivals.at(-1)?.at ?? Date.now()) - fanStart;
		log(`  all ${FAN_OUT} arrived in ${fanOutMs} ms${fanned ? "" : " (timed out)"}`);
		const wholeRun = catalogReadsOver(start, await api("GET", "/v1/metrics"));
		log(`  ${wholeRun.catalogReads} catalog reads for the ${wholeRun.eventsIngested} events of phases 4 to 7`);

		return {
			ingestWithDeliveriesOnTheSameCores: ingestWithDeliveries,
			peakDeliveriesPerSecond: peakDeliveries,
			peakEndToEndPerSecond: peakEndToEnd,
			endToEnd,
			fanOut: { webhooks: FAN_OUT, allArrivedMs: fanOutMs, complete: fanned },
			catalogReadsWithDeliveries: wholeRun,
		};
	} finally {
		await hookline.stop();
	}
};
