// `npm run bench:rates`: Hookline's ingest→arrival latency at a series of
// steady rates, one after the other on one running instance (one webhook,
// receiver up). Shows where the knee is and whether deliveries keep up: for
// each rate, how long after the first event the last one arrived.
// Loopback only; every loop is bounded.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

process.env.WRANGLER_LOG ??= "warn";

import {
	arrivalLatencies,
	BENCH_TOKENS,
	benchStateRoot,
	describeStateRoot,
	log,
	paced,
	percentile,
	root,
	sleep,
	startArrivalReceiver,
	startHookline,
	waitFor,
} from "./lib.ts";

const RATES = (process.env.RATES_LIST ?? "20,30,40,50,60,70").split(",").map(Number);
const SECONDS = Number(process.env.RATES_SECONDS ?? 10);

const main = async () => {
	if (RATES.some((r) => !Number.isFinite(r) || r <= 0))
		throw new Error("RATES_LIST: positive numbers, comma-separated");
	log(describeStateRoot());
	const receiver = await startArrivalReceiver(() => ({ status: 200 }));
	const hookline = await startHookline(join(root, "wrangler.toml"));
	const rows: { rate: number; events: number; lastArrivalSeconds: number; p50: number; p95: number; p99: number }[] =
		[];
	try {
		const created = await hookline.api("POST", "/v1/webhooks", {
			name: "rates",
			eventTypes: ["bench.load"],
			url: `${receiver.url}/rates`,
			maxConcurrency: 50,
		});
		if (typeof created.id !== "string") throw new Error(`could not create the webhook: ${JSON.stringify(created)}`);
		const headers = { authorization: `Bearer ${BENCH_TOKENS.ingest}`, "content-type": "application/json" };
		for (const rate of RATES) {
			const events = Math.round(rate * SECONDS);
			log(`${events} events at ${rate}/s…`);
			receiver.arrivals.length = 0;
			const run = await paced(`${hookline.url}/v1/events`, headers, rate, events, () => {});
			const arrived = await waitFor(() => receiver.arrivals.length >= run.sentAt.size, 120_000, 100);
			await run.close();
			const { latencies } = arrivalLatencies(receiver.arrivals, run.sentAt);
			const row = {
				rate,
				events: run.sentAt.size,
				lastArrivalSeconds: ((receiver.arrivals.at(-1)?.at ?? Date.now()) - run.start) / 1000,
				p50: percentile(latencies, 50),
				p95: percentile(latencies, 95),
				p99: percentile(latencies, 99),
			};
			rows.push(row);
			log(
				`  p50 ${row.p50} ms, p95 ${row.p95} ms, p99 ${row.p99} ms; the last arrived after ${row.lastArrivalSeconds.toFixed(1)} s${arrived ? "" : " (not all arrived)"}`,
			);
			await sleep(2000); // let the queue drain before the next rate
		}
	} finally {
		await hookline.stop();
		await receiver.close();
	}
	const dir = join(root, ".artifacts", "bench");
	mkdirSync(dir, { recursive: true });
	const file = join(dir, `rates-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
	writeFileSync(file, `${JSON.stringify({ seconds: SECONDS, stateDirectory: benchStateRoot(), rows }, null, 2)}\n`);
	console.log(`\nIngest→arrival latency by steady rate (${SECONDS} s each, one webhook)`);
	console.log(`  ${describeStateRoot()}`);
	console.log(
		`  ${"events/s".padStart(8)} ${"p50 ms".padStart(7)} ${"p95 ms".padStart(7)} ${"p99 ms".padStart(7)}  last arrival`,
	);
	for (const r of rows)
		console.log(
			`  ${String(r.rate).padStart(8)} ${String(r.p50).padStart(7)} ${String(r.p95).padStart(7)} ${String(r.p99).padStart(7)}  ${r.lastArrivalSeconds.toFixed(1)} s`,
		);
	console.log(`\n  result: ${file}`);
};

main().catch((err) => {
	console.error(err);
	process.exit(1);
});
