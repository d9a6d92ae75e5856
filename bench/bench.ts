// `npm run bench`: measures Hookline against the runtime's own ceilings, all
// started the same way on this machine (wrangler's unstable_startWorker in
// this process, local workerd with D1, Queues and Durable Objects, as `npm
// start` runs it: without the DevTools inspector, the request lines and local
// observability), with a keep-alive receiver on 127.0.0.1. The load
// runs as tenant `bench` with its own ingest key (bench/phases/tenant.ts).
//
//   1. ceilings: a no-op worker (POST → 202) and a raw-fetch worker (each POST
//      makes one fetch to the receiver), 50 connections for BENCH_SECONDS;
//   2. ingest alone, one webhook, queue consumers off (bench/phases/ingest.ts);
//   3. the same over BENCH_TENANTS tenants of 10 webhooks each
//      (bench/phases/tenants.ts);
//   4–7. with the consumers: the backlog drain (peak deliveries/s), the
//      end-to-end peak, BENCH_E2E_EVENTS events at half of it (latency, cost
//      per delivery), fan-out to 100 webhooks (bench/phases/deliveries.ts);
//   8. the pipeline ceiling at the half-peak rate (bench/phases/pipeline.ts);
//   9. the `npm start` path: Hookline and the raw-fetch ceiling each started
//      through `wrangler dev` with state on disk, as users start them
//      (bench/phases/npm-start.ts).
// BENCH_ONLY=ingest stops after phase 2, BENCH_ONLY=tenants after phase 3,
// BENCH_ONLY=npm-start runs phase 9 alone (printing, writing no file);
// BENCH_TENANTS=0 leaves phase 3 out, BENCH_NPM_START=0 phase 9.
// Writes .artifacts/bench/bench-<time>.json and prints a summary.
import { cpus } from "node:os";
import { join } from "node:path";
import pkg from "../package.json" with { type: "json" };

process.env.WRANGLER_LOG ??= "warn";

import { benchStateRoot, describeStateRoot, log, root, startArrivalReceiver, startInProcess } from "./lib.ts";
import { CONNECTIONS, load, SECONDS } from "./load.ts";
import { deliveryPhases, E2E_EVENTS } from "./phases/deliveries.ts";
import { ingestPhase, SAMPLE_EVENT } from "./phases/ingest.ts";
import { npmStartPhases } from "./phases/npm-start.ts";
import { pipelinePhase } from "./phases/pipeline.ts";
import { TENANTS, tenantsPhase } from "./phases/tenants.ts";
import { type BenchResult, npmStartTargets, report } from "./summary.ts";

const ONLY = process.env.BENCH_ONLY;
/** BENCH_NPM_START=0 leaves the `npm start` path (phase 9) out. */
const NPM_START = process.env.BENCH_NPM_START !== "0";

/** A ceiling worker at CONNECTIONS for SECONDS. */
const ceiling = async (name: string, vars?: Record<string, string>) => {
	log(`ceiling: ${name} worker, ${CONNECTIONS} connections for ${SECONDS} s…`);
	const worker = await startInProcess(join(root, "bench", "ceilings", `${name}.toml`), vars ? { vars } : {});
	const result = await load(worker.url, { "content-type": "application/json" }, SAMPLE_EVENT);
	await worker.stop();
	log(`  ${result.requestsPerSecond.toFixed(0)} req/s`);
	return result;
};

const main = async () => {
	const started = Date.now();
	let receiverDown = false;
	const receiver = await startArrivalReceiver(() => (receiverDown ? { status: 503 } : { status: 200 }));
	log(`receiver on ${receiver.url}; ${describeStateRoot()}`);
	try {
		if (ONLY === "npm-start") {
			const n = await npmStartPhases(receiver);
			for (const [name, met, value] of npmStartTargets(n))
				log(`  ${met ? "met " : "MISS"}  ${name.padEnd(52)} ${value}`);
			return;
		}
		const noop = await ceiling("noop");
		const rawFetch = await ceiling("raw-fetch", { TARGET_URL: `${receiver.url}/raw` });
		receiver.arrivals.length = 0;

		const ingest = await ingestPhase(receiver.url);
		log(`  ${((100 * ingest.requestsPerSecond) / noop.requestsPerSecond).toFixed(0)} % of no-op`);
		if (ONLY === "ingest") return;
		const tenants = TENANTS > 0 ? await tenantsPhase(receiver.url, ingest.requestsPerSecond, 1) : undefined;
		const tenantsTwoShards = TENANTS > 0 ? await tenantsPhase(receiver.url, ingest.requestsPerSecond, 2) : undefined;
		if (tenants && tenantsTwoShards)
			log(
				`  two shards: ${((100 * tenantsTwoShards.requestsPerSecond) / tenants.requestsPerSecond).toFixed(0)} % of the same load on one shard`,
			);
		if (ONLY === "tenants") return;

		const deliveries = await deliveryPhases({
			...receiver,
			down: (down) => {
				receiverDown = down;
			},
		});
		const pipeline = await pipelinePhase(receiver, deliveries.endToEnd.ratePerSecond, E2E_EVENTS);
		const npmStart = NPM_START ? await npmStartPhases(receiver) : undefined;
		const result: BenchResult = {
			machine: { cores: cpus().length, node: process.version, platform: process.platform },
			versions: { hookline: pkg.version, wrangler: pkg.devDependencies.wrangler },
			path: "wrangler unstable_startWorker in-process (local workerd as npm start runs it), loopback",
			stateDirectory: benchStateRoot(),
			seconds: SECONDS,
			connections: CONNECTIONS,
			ceilings: { noop, rawFetch, pipeline },
			ingest,
			...(tenants ? { tenants } : {}),
			...(tenantsTwoShards ? { tenantsTwoShards } : {}),
			...deliveries,
			...(npmStart ? { npmStart } : {}),
		};
		report(result, started);
	} finally {
		await receiver.close();
	}
};

main().catch((err) => {
	console.error(err);
	process.exit(1);
});
