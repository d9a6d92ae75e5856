// Phase 8 of `npm run bench`, after Hookline has stopped: the pipeline ceiling
// at the half-peak rate. A worker (bench/ceilings/pipeline.ts) stores each POST
// in D1 and enqueues its id; its consumer reads the batch back and fetches the
// receiver. Its ingest→arrival latency is the floor for Hookline's on the same
// runtime.
import { rmSync } from "node:fs";
import { join } from "node:path";
import {
	type Arrival,
	arrivalLatencies,
	benchState,
	log,
	paced,
	percentile,
	root,
	startInProcess,
	waitFor,
} from "../lib.ts";

export const pipelinePhase = async (receiver: { url: string; arrivals: Arrival[] }, rate: number, events: number) => {
	log(`ceiling: pipeline worker (store, enqueue, read back, fetch), ${events} events at ${rate}/s…`);
	const json = { "content-type": "application/json" };
	receiver.arrivals.length = 0;
	const state = benchState("hookline-bench-pipeline-");
	const pipeline = await startInProcess(join(root, "bench", "ceilings", "pipeline.toml"), {
		persist: state,
		vars: { TARGET_URL: `${receiver.url}/pipeline` },
	});
	try {
		// Two seconds at the rate first, not counted: Hookline too was warm when it was measured.
		const warmUp = await paced(pipeline.url, json, rate, rate * 2, () => {});
		await waitFor(() => receiver.arrivals.length >= warmUp.sentAt.size, 30_000, 100);
		await warmUp.close();
		receiver.arrivals.length = 0;
		const run = await paced(pipeline.url, json, rate, events, (sent) =>
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
		return { ratePerSecond: rate, accepted: run.sentAt.size, refused: run.refused, lost, latencyMs };
	} finally {
		await pipeline.stop();
		rmSync(state, { recursive: true, force: true });
	}
};
