// The end of `npm run bench:capacity`: the figures worked out from the
// measurements, written to .artifacts/bench/capacity-<time>.json, and a
// readable summary.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describeStateRoot, root } from "../lib.ts";
import { type GateFootprint, HISTORY_TABLES, type ShardFootprint, tableBytes } from "./footprint.ts";
import type { LoadWindow } from "./load.ts";
import {
	CRON_EVERY_SECONDS,
	daysUntilFull,
	PURGE_BUDGET_SECONDS,
	PURGE_ROUND,
	purgeHeadroom,
	SHARD_FILL,
	SHARD_LIMIT_BYTES,
	shardsFor,
	steadyState,
} from "./model.ts";

/** One cron run: how long it took, what it purged over both shards, in how many rounds. */
export type PurgeRun = { ms: number; notifications: number; events: number; rounds: number };

export type CapacityRun = {
	tenants: { id: string; shard: string }[];
	steady: LoadWindow & { settled: boolean };
	d1: ShardFootprint[];
	gate: GateFootprint;
	backdated: Record<string, number>;
	purge: {
		runs: PurgeRun[];
		/** The longest a /healthz took during the cron runs: whether the local runtime answered anything meanwhile. */
		healthzMaxMs: number;
		load: LoadWindow;
		left: Record<string, { notifications: number; events: number }>;
	};
	afterPurge: ShardFootprint[];
	retentionDays: number;
	peak: { eventsPerSecond: number; from: string };
	gateLimitMb: number;
};

const n = (x: number, digits = 0) => x.toLocaleString("en-US", { maximumFractionDigits: digits });
const mb = (bytes: number) => `${n(bytes / 1e6, 1)} MB`;
const gb = (bytes: number) => `${n(bytes / 1e9, 1)} GB`;

/** Everything the summary prints, worked out once and written with the measurements. */
export const figuresOf = (run: CapacityRun) => {
	const tables = Object.fromEntries(HISTORY_TABLES.map((t) => [t, tableBytes(run.d1, t)]));
	const total = Object.values(tables).reduce(
		(sum, t) => sum + t.table + Object.values(t.indexes).reduce((a, b) => a + b, 0),
		0,
	);
	const events = tables.events?.rows ?? 0;
	const notifications = tables.notifications?.rows ?? 0;
	const costs = { perEvent: total / Math.max(1, events), perNotification: total / Math.max(1, notifications) };
	const texts = run.d1.reduce((sum, s) => sum + s.texts.eventData + s.texts.requestBodies, 0);
	const purging = run.purge.runs.filter((r) => r.notifications > 0);
	const purgeMs = purging.reduce((sum, r) => sum + r.ms, 0);
	const purged = purging.reduce((sum, r) => sum + r.notifications, 0);
	const purgedPerSecond = purged / Math.max(0.001, purgeMs / 1000);
	const rounds = purging.reduce((sum, r) => sum + r.rounds, 0);
	const notificationsPerEvent = notifications / Math.max(1, events);
	const peakNotifications = run.peak.eventsPerSecond * notificationsPerEvent;
	const gateBytesPerRow = run.gate.ledgerBytes / Math.max(1, run.gate.ledgerRows);
	return {
		tables,
		historyBytes: total,
		costs,
		// What a notification costs besides the texts its event and request carry: ids, status, times,
		// headers, URL, attempts, index entries and the room pages leave. Texts as stored (packed or not).
		perNotificationTexts: texts / Math.max(1, notifications),
		perNotificationFixed: (total - texts) / Math.max(1, notifications),
		notificationsPerEvent,
		steadyState: steadyState(costs, run.retentionDays),
		daysUntilFullAtPeak: daysUntilFull(costs.perEvent, run.peak.eventsPerSecond),
		shards: Object.fromEntries(
			[100, 1000, 10_000].map((rate) => [rate, shardsFor(rate, costs.perNotification, run.retentionDays)]),
		),
		purge: {
			purged,
			seconds: purgeMs / 1000,
			purgedPerSecond,
			// Both shards' rounds run side by side on the local runtime's one thread: about the time one round holds its database.
			msPerRound: purgeMs / Math.max(1, rounds),
			headroomAtPeak: purgeHeadroom(purgedPerSecond, peakNotifications),
		},
		gate: {
			bytesPerNotification: gateBytesPerRow,
			databaseBytesPerNotification: run.gate.databaseBytes / Math.max(1, run.gate.ledgerRows),
			// A gate holds its last hour of sends: the rate at which that reaches its storage bound.
			sendsPerSecondAtBound: (run.gateLimitMb * 1024 ** 2) / (gateBytesPerRow * 3600),
		},
	};
};

const perRow = (t: ReturnType<typeof tableBytes>) => {
	const indexes = Object.values(t.indexes).reduce((a, b) => a + b, 0);
	const each = Object.entries(t.indexes)
		.map(
			([name, bytes]) => `${name.replace(/^sqlite_autoindex_(\w+)_\d+$/, "$1 key")} ${n(bytes / Math.max(1, t.rows))}`,
		)
		.join(", ");
	return `${n((t.table + indexes) / Math.max(1, t.rows))} B  (row ${n(t.table / Math.max(1, t.rows))}, indexes ${n(indexes / Math.max(1, t.rows))}: ${each})`;
};

export const report = (run: CapacityRun, started: number) => {
	const f = figuresOf(run);
	const dir = join(root, ".artifacts", "bench");
	mkdirSync(dir, { recursive: true });
	const file = join(dir, `capacity-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
	writeFileSync(file, `${JSON.stringify({ ...run, figures: f, seconds: (Date.now() - started) / 1000 }, null, 2)}\n`);

	const s = run.steady;
	const onShard = (shard: string) => run.tenants.filter((t) => t.shard === shard).length;
	const kinds = Object.entries(s.byKind)
		.map(
			([type, k]) =>
				`${type} ${n((100 * k.events) / Math.max(1, s.accepted))} % ~${n(k.dataBytes / Math.max(1, k.events))} B`,
		)
		.join(", ");
	const meanData = Object.values(s.byKind).reduce((a, k) => a + k.dataBytes, 0) / Math.max(1, s.accepted);
	const { tables } = f;
	const p = run.purge;
	const lines = [
		"Hookline capacity (local workerd, loopback)",
		`  ${describeStateRoot()}`,
		`  steady load    ${n(s.eventsPerSecond, 1)} events/s for ${n(s.seconds)} s over ${run.tenants.length} tenants (SHARD_A ${onShard("SHARD_A")}, SHARD_B ${onShard("SHARD_B")}): ${n(tables.events?.rows ?? 0)} events, ${n(tables.notifications?.rows ?? 0)} notifications, ${n(tables.attempts?.rows ?? 0)} attempts${s.settled ? "" : " (NOT settled)"}`,
		`  event data     ${kinds}; mean ${n(meanData)} B`,
		"D1, bytes on disk per row, with its indexes",
		`  event          ${perRow(tables.events as ReturnType<typeof tableBytes>)}`,
		`  notification   ${perRow(tables.notifications as ReturnType<typeof tableBytes>)}`,
		`  attempt        ${perRow(tables.attempts as ReturnType<typeof tableBytes>)}`,
		`  ingest key     ${perRow(tables.ingest_keys as ReturnType<typeof tableBytes>)}`,
		`  all history    ${n(f.costs.perEvent)} B per event, ${n(f.costs.perNotification)} B per notification (${n(f.notificationsPerEvent, 2)} per event): ${n(f.perNotificationTexts)} B of stored texts (event data, request bodies) and ${n(f.perNotificationFixed)} B of everything else`,
		"Endpoint gate (the ledger keeps each notification sent for an hour)",
		`  per notification  ${n(f.gate.bytesPerNotification)} B in the ledger (${n(run.gate.ledgerRows)} rows, ${n(run.gate.withRequest)} with the request); databaseSize ${n(f.gate.databaseBytesPerNotification)} B per row over ${run.gate.gates} gates`,
		`  one webhook       reaches GATE_STORAGE_LIMIT_MB (${n(run.gateLimitMb)}) at ${n(f.gate.sendsPerSecondAtBound)} first sends/s`,
		"Retention purge (backdated copies of the rows above, purged while the load goes on)",
		`  purged         ${n(f.purge.purged)} notifications in ${n(f.purge.seconds, 1)} s of ${p.runs.length} cron runs: ${n(f.purge.purgedPerSecond)}/s over both shards; left ${JSON.stringify(p.left)}`,
		`  rounds         ${n(f.purge.msPerRound)} ms each (up to ${n(PURGE_ROUND)} notifications with their attempts, events and keys)`,
		`  ingest         ${n(p.load.eventsPerSecond, 1)} events/s meanwhile; sent during the cron runs p50 / p99 ${p.load.ingestMsDuring?.p50} / ${p.load.ingestMsDuring?.p99} ms (${n(p.load.ingestMsDuring?.count ?? 0)} ingests), steady load ${s.ingestMs.p50} / ${s.ingestMs.p99} ms; /healthz up to ${n(p.healthzMaxMs)} ms`,
		`  headroom       one cron run a minute (${PURGE_BUDGET_SECONDS} s of ${CRON_EVERY_SECONDS}) purges ${n(f.purge.headroomAtPeak, 1)} × what the peak ingest writes (${n(run.peak.eventsPerSecond)} events/s, ${run.peak.from})`,
		`  after          ${run.afterPurge.map((a) => `${a.shard} ${mb(a.pageCount * a.pageSize)} of which ${mb(a.freePages * a.pageSize)} free for reuse`).join("; ")}`,
		`Model (${run.retentionDays} days' retention, ${gb(SHARD_LIMIT_BYTES)} a shard, planned to ${n(SHARD_FILL * 100)} %)`,
		`  per 1 event/s     ${gb(f.steadyState.perEventPerSecond)} held; per 1 delivery/s ${gb(f.steadyState.perDeliveryPerSecond)}`,
		`  one shard holds   ${n(f.steadyState.eventsPerSecondPerShard, 2)} events/s (${n(f.steadyState.deliveriesPerSecondPerShard, 2)} deliveries/s)`,
		`  at the peak       ${n(run.peak.eventsPerSecond)} events/s fill an empty shard in ${n(f.daysUntilFullAtPeak, 3)} days (${n(f.daysUntilFullAtPeak * 24, 1)} hours)`,
		`  shards needed     ${Object.entries(f.shards)
			.map(([rate, shards]) => `${n(Number(rate))} deliveries/s: ${n(shards)}`)
			.join("; ")}`,
		`Full result: ${file}`,
	];
	console.log(lines.join("\n"));
	return f;
};
