// `npm run bench:capacity`: what Hookline's history costs on disk and whether
// retention keeps up, on the same local runtime as `npm run bench`.
//
//   1. Steady load: CAPACITY_TENANTS tenants (placed by Hookline on both
//      shards), two webhooks each, CAPACITY_RATE events/s for CAPACITY_SECONDS
//      of three sizes, one receiver failing a share of requests so some
//      notifications retry (bench/capacity/mix.ts); then until everything
//      settled.
//   2. Footprint: Hookline stopped, the bytes of every history table and index
//      on each shard and of the endpoint gates' ledgers, from copies of the
//      SQLite files (bench/capacity/footprint.ts).
//   3. Purge: backdated copies of that history, CAPACITY_BACKDATED
//      notifications in all, written into the shards (bench/capacity/backdate.ts);
//      Hookline started again on the same state, the load goes on at the same
//      rate while the scheduled handler runs the sweeper, one cron run after
//      another until nothing expired is left.
//   4. The model (bench/capacity/model.ts): bytes per event and per
//      notification, the size a shard holds at steady state, the days until
//      one is full at the benchmark's peak ingest (BENCHMARKS.md or
//      BENCH_PEAK_INGEST), the purge against the ingest.
// Writes .artifacts/bench/capacity-<time>.json and prints a summary.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

process.env.WRANGLER_LOG ??= "warn";

import { backdateHistory, expiredLeft } from "./capacity/backdate.ts";
import { d1Footprint, gateFootprint, shardFiles } from "./capacity/footprint.ts";
import { settle, steadyLoad } from "./capacity/load.ts";
import { createTenants, receiverBehaviour, seeded } from "./capacity/mix.ts";
import { DAY_SECONDS, peakIngest } from "./capacity/model.ts";
import { type PurgeRun, report } from "./capacity/report.ts";
import {
	adminApi,
	BENCH_VARS,
	benchState,
	describeStateRoot,
	log,
	migrateLocal,
	root,
	sleep,
	startArrivalReceiver,
	startInProcess,
} from "./lib.ts";

const RATE = Number(process.env.CAPACITY_RATE ?? 40);
const SECONDS = Number(process.env.CAPACITY_SECONDS ?? 60);
const TENANTS = Number(process.env.CAPACITY_TENANTS ?? 4);
const BACKDATED = Number(process.env.CAPACITY_BACKDATED ?? 100_000);
/** How long the deliveries and their retries get to settle after the load. */
const SETTLE_MS = 120_000;
/** Cron runs at most in the purge phase; each purges for up to 20 s. */
const MAX_CRON_RUNS = 20;
/** The purge phase's load stops after this long whatever the purge does. */
const PURGE_LOAD_MAX_SECONDS = 600;

const wranglerToml = readFileSync(join(root, "wrangler.toml"), "utf8");
/** A setting's deployed default, from wrangler.toml's [vars]. */
const setting = (name: string) => Number(new RegExp(`^${name} = "(\\d+)"`, "m").exec(wranglerToml)?.[1]);
const RETENTION_DAYS = setting("RETENTION_DAYS");
const GATE_LIMIT_MB = setting("GATE_STORAGE_LIMIT_MB");

type Sweep = { shard: string; purged: { notifications: number; events: number; rounds: number } };

/** Hookline on `state`, with the sweeper's log lines (one per shard and run that did something) kept in `sweeps`. */
const start = async (state: string, sweeps: Sweep[]) => {
	const worker = await startInProcess(join(root, "wrangler.toml"), {
		persist: state,
		vars: BENCH_VARS,
		logs: (message) => {
			const at = message.indexOf('{"msg":"sweep"');
			if (at >= 0) sweeps.push(JSON.parse(message.slice(at)) as Sweep);
		},
	});
	return { ...worker, api: adminApi(worker.url) };
};

/** Cron runs back to back while the load goes on, until one purges nothing. */
const purgePhase = async (hookline: Awaited<ReturnType<typeof start>>, sweeps: Sweep[], tenants: string[]) => {
	let done = false;
	let purging = false;
	let purged = 0;
	const load = steadyLoad({
		url: hookline.url,
		tenants,
		rate: RATE,
		seconds: PURGE_LOAD_MAX_SECONDS,
		label: "purge",
		until: () => done,
		progress: () => `${purged.toLocaleString("en-US")} notifications purged`,
		during: () => purging,
	});
	await sleep(3000); // the load runs before the first cron run
	const runs: PurgeRun[] = [];
	purging = true;
	// Whether the worker answers at all meanwhile: /healthz touches no binding.
	const healthz: number[] = [];
	const probe = (async () => {
		while (purging) {
			const started = Date.now();
			await (await fetch(`${hookline.url}/healthz`)).arrayBuffer();
			healthz.push(Date.now() - started);
			await sleep(100);
		}
	})();
	for (let run = 1; run <= MAX_CRON_RUNS; run++) {
		const from = sweeps.length;
		const started = Date.now();
		const res = await fetch(`${hookline.url}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*`);
		await res.arrayBuffer();
		const ms = Date.now() - started;
		if (!res.ok) throw new Error(`the scheduled handler answered ${res.status}`);
		await sleep(300); // the run's log lines come after its answer
		const lines = sweeps.slice(from);
		const notifications = lines.reduce((sum, l) => sum + l.purged.notifications, 0);
		const events = lines.reduce((sum, l) => sum + l.purged.events, 0);
		const rounds = lines.reduce((sum, l) => sum + l.purged.rounds, 0);
		purged += notifications;
		runs.push({ ms, notifications, events, rounds });
		log(
			`  cron run ${run}: ${notifications.toLocaleString("en-US")} notifications and ${events.toLocaleString("en-US")} events purged in ${ms} ms`,
		);
		if (notifications === 0 && events === 0) break;
	}
	purging = false;
	await probe;
	await sleep(3000); // and after the last
	done = true;
	return { runs, healthzMaxMs: Math.max(0, ...healthz), load: await load };
};

const main = async () => {
	const started = Date.now();
	const peak = peakIngest(readFileSync(join(root, "BENCHMARKS.md"), "utf8"), process.env.BENCH_PEAK_INGEST);
	const receiver = await startArrivalReceiver(receiverBehaviour(seeded(2)));
	const state = benchState("hookline-capacity-");
	log(`receiver on ${receiver.url}; ${describeStateRoot()}`);
	const sweeps: Sweep[] = [];
	try {
		migrateLocal(state);
		let hookline = await start(state, sweeps);
		const tenants = await createTenants(hookline.api, receiver.url, TENANTS);
		log(`steady load: ${RATE} events/s for ${SECONDS} s over ${TENANTS} tenants, two webhooks each…`);
		const steady = await steadyLoad({
			url: hookline.url,
			tenants,
			rate: RATE,
			seconds: SECONDS,
			label: "steady",
			progress: () => `${receiver.arrivals.length.toLocaleString("en-US")} requests at the receiver`,
		});
		log(`  ${steady.accepted} events accepted (${steady.refused} refused); waiting for every notification to settle…`);
		const settled = await settle(hookline.api, tenants, SETTLE_MS);
		log(`  ${settled ? "settled" : "NOT settled"}: ${receiver.arrivals.length} requests at the receiver`);
		await hookline.stop();

		log("footprint: reading copies of the shards' and the gates' SQLite files…");
		const d1 = d1Footprint(state);
		const gate = gateFootprint(state);
		const tenantShards = tenantsByShard(state, tenants);

		log(`purge: writing backdated copies of that history, ${BACKDATED.toLocaleString("en-US")} notifications…`);
		const ageMs = (RETENTION_DAYS + 1) * DAY_SECONDS * 1000;
		const backdated = backdateHistory(state, BACKDATED, ageMs);
		log(
			`  ${JSON.stringify(backdated)}; Hookline again, the load at ${RATE} events/s, cron runs until nothing expired is left…`,
		);
		hookline = await start(state, sweeps);
		const purge = await purgePhase(hookline, sweeps, tenants);
		await hookline.stop();
		const left = expiredLeft(state, Date.now() - RETENTION_DAYS * DAY_SECONDS * 1000);
		const afterPurge = d1Footprint(state);

		report(
			{
				tenants: tenantShards,
				steady: { ...steady, settled },
				d1,
				gate,
				backdated,
				purge: { ...purge, left },
				afterPurge,
				retentionDays: RETENTION_DAYS,
				peak,
				gateLimitMb: GATE_LIMIT_MB,
			},
			started,
		);
	} finally {
		await receiver.close();
		rmSync(state, { recursive: true, force: true });
	}
};

/** Which shard each tenant is on, from the shard files that hold its webhooks. */
const tenantsByShard = (state: string, tenants: string[]) => {
	const files = shardFiles(state);
	return tenants.map((id) => ({ id, shard: files.find((f) => f.tenants.includes(id))?.shard ?? "?" }));
};

main().catch((err) => {
	console.error(err);
	process.exit(1);
});
