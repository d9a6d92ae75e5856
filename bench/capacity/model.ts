// The capacity model of `npm run bench:capacity`, pure: from what a row costs
// on disk to the size a shard holds at steady state, how long a shard lasts at
// a given ingest, how many shards a delivery rate needs, and how far the
// purge outruns the ingest. docs/scaling.md shows the same arithmetic.

export const DAY_SECONDS = 86_400;
/** A D1 database's size limit: 10 GB, counted as 10 × 10⁹ bytes to stay on the safe side; it cannot be raised. */
export const SHARD_LIMIT_BYTES = 10e9;
/** Shards are planned to this share of the limit: tenants cannot be split, and a purge runs behind by a minute or two. */
export const SHARD_FILL = 0.8;
/** The sweeper: one cron run a minute, which purges for up to 20 s per shard, in rounds of 2,000 (src/history/sweeper.ts). */
export const PURGE_BUDGET_SECONDS = 20;
export const PURGE_ROUND = 2000;
export const CRON_EVERY_SECONDS = 60;

/**
 * The benchmark's peak ingest (events/s): BENCH_PEAK_INGEST when set, else
 * the figure of "Ingest, accepted events/s" in BENCHMARKS.md's latest run.
 */
export const peakIngest = (benchmarks: string, fromEnv: string | undefined) => {
	if (fromEnv) return { eventsPerSecond: Number(fromEnv), from: "BENCH_PEAK_INGEST" };
	const row = /^\|\s*Ingest, accepted events\/s[^|]*\|\s*([\d,]+)/m.exec(benchmarks);
	if (!row?.[1]) throw new Error("no ingest figure in BENCHMARKS.md: set BENCH_PEAK_INGEST");
	return { eventsPerSecond: Number(row[1].replaceAll(",", "")), from: "BENCHMARKS.md" };
};

/** What the history costs on disk, all tables and indexes together, per event and per notification. */
export type Costs = { perEvent: number; perNotification: number };

/** What a shard holds at steady state: every row lives `retentionDays` after its last change. */
export const steadyState = (costs: Costs, retentionDays: number) => {
	const seconds = retentionDays * DAY_SECONDS;
	return {
		/** Bytes held for each event/s ingested. */
		perEventPerSecond: costs.perEvent * seconds,
		/** Bytes held for each notification/s (delivery/s). */
		perDeliveryPerSecond: costs.perNotification * seconds,
		/** The ingest one shard holds at SHARD_FILL of its limit. */
		eventsPerSecondPerShard: (SHARD_FILL * SHARD_LIMIT_BYTES) / (costs.perEvent * seconds),
		deliveriesPerSecondPerShard: (SHARD_FILL * SHARD_LIMIT_BYTES) / (costs.perNotification * seconds),
	};
};

/** Days until an empty shard reaches its limit at `eventsPerSecond`, with no purge (retention longer than that). */
export const daysUntilFull = (bytesPerEvent: number, eventsPerSecond: number) =>
	SHARD_LIMIT_BYTES / (bytesPerEvent * eventsPerSecond * DAY_SECONDS);

/** Shards that hold `deliveriesPerSecond` for `retentionDays`, each planned to SHARD_FILL. */
export const shardsFor = (deliveriesPerSecond: number, bytesPerNotification: number, retentionDays: number) =>
	Math.ceil(
		(deliveriesPerSecond * bytesPerNotification * retentionDays * DAY_SECONDS) / (SHARD_FILL * SHARD_LIMIT_BYTES),
	);

/**
 * How many times over one cron run a minute purges what a shard ingests: the
 * notifications it purges in its budget against those a minute writes.
 */
export const purgeHeadroom = (purgedPerSecond: number, notificationsPerSecond: number) =>
	(purgedPerSecond * PURGE_BUDGET_SECONDS) / (notificationsPerSecond * CRON_EVERY_SECONDS);
