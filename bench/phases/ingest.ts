// Phase 2 of `npm run bench`: ingest alone. POST /v1/events at CONNECTIONS for
// BENCH_SECONDS with tenant `bench`'s ingest key, one matching webhook, on
// Hookline without its queue consumers: the accept-and-enqueue path. Also how
// many ingests shared a D1 batch, how many messages a queue send, and how many
// key and tenant lookups went to D1 per event.
import { log, startHookline } from "../lib.ts";
import { CONNECTIONS, catalogReadsOver, load, SECONDS, withoutConsumers } from "../load.ts";
import { benchTenant } from "./tenant.ts";

/** The body every load phase posts (no id: each request is a new event). */
export const SAMPLE_EVENT = JSON.stringify({ type: "bench.load", data: { loanId: "L-1", amount: 2500 } });

export const ingestPhase = async (receiverUrl: string) => {
	log(
		`ingest: POST /v1/events with tenant bench's key, ${CONNECTIONS} connections for ${SECONDS} s (queue consumers off)…`,
	);
	const config = withoutConsumers("ingest");
	const hookline = await startHookline(config.path);
	try {
		const tenant = await benchTenant(hookline.api);
		await hookline.api("POST", tenant.path("/webhooks"), {
			name: "bench",
			eventTypes: ["bench.load"],
			url: `${receiverUrl}/load`,
		});
		const before = await hookline.api("GET", "/v1/metrics");
		const result = await load(`${hookline.url}${tenant.eventsPath}`, tenant.ingestHeaders, SAMPLE_EVENT);
		const m = await hookline.api("GET", "/v1/metrics");
		const grouping = {
			ingestsPerD1Batch: Number(m.d1GroupedIngests ?? 0) / Math.max(1, Number(m.d1IngestRounds ?? 0)),
			eventsPerQueueSend: Number(m.queueMessagesSent ?? 0) / Math.max(1, Number(m.queueSendCalls ?? 0)),
		};
		const catalog = catalogReadsOver(before, m);
		log(
			`  ${result.requestsPerSecond.toFixed(0)} events/s accepted (${result.non2xx} not 2xx, ${result.errors} errors), p50 ${result.latencyP50Ms} ms, p99 ${result.latencyP99Ms} ms`,
		);
		log(
			`  ${grouping.ingestsPerD1Batch.toFixed(1)} ingests per D1 batch, ${grouping.eventsPerQueueSend.toFixed(1)} messages per queue send; ${catalog.catalogReads} catalog reads for ${catalog.eventsIngested} events`,
		);
		return { ...result, ...grouping, ...catalog };
	} finally {
		await hookline.stop();
		config.remove();
	}
};
