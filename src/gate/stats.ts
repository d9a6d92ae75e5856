// Delivery statistics, pure: per-minute counts and latency histograms, and what
// the health view makes of them — the success rate and latency percentiles
// over the last hour and day, and attempts per hour over the last 24 hours.
// ./tables/stats.ts keeps the minutes; these functions only count and read them.

/** Latency buckets (upper bounds, ms) for the per-minute histograms. */
export const LATENCY_BUCKETS_MS = [
	5,
	10,
	20,
	30,
	50,
	75,
	100,
	150,
	200,
	300,
	500,
	750,
	1000,
	1500,
	2000,
	3000,
	5000,
	7500,
	10000,
	15000,
	20000,
	30000,
	Number.POSITIVE_INFINITY,
];

/** Per-minute statistics kept: a day and an hour. */
export const STATS_KEEP_MINUTES = 1500;

/** One minute of attempts: how many, how many succeeded, and their latencies by bucket. */
export type MinuteStats = { attempts: number; succeeded: number; histogram: number[] };

export type WindowStats = {
	attempts: number;
	succeeded: number;
	successRate: number | null;
	latencyMs: { p50: number | null; p95: number | null };
};

/** Attempts and successes in one hour, for the console's chart. */
export type HourStats = { attempts: number; succeeded: number };

export const minuteOf = (ms: number) => Math.floor(ms / 60_000);
const hourOf = (ms: number) => Math.floor(ms / 3_600_000);

export const bucketOf = (ms: number) => {
	const i = LATENCY_BUCKETS_MS.findIndex((bound) => ms <= bound);
	return i === -1 ? LATENCY_BUCKETS_MS.length - 1 : i;
};

/**
 * The p-th percentile from a histogram, interpolated inside its bucket; null
 * without samples. Exact to the bucket: 75 ms means "between 50 and 75 ms".
 */
export const percentileOf = (histogram: number[], p: number): number | null => {
	const total = histogram.reduce((a, b) => a + b, 0);
	if (total === 0) return null;
	const rank = (p / 100) * total;
	let seen = 0;
	for (const [i, n] of histogram.entries()) {
		if (n > 0 && seen + n >= rank) {
			const low = i === 0 ? 0 : (LATENCY_BUCKETS_MS[i - 1] as number);
			const high = LATENCY_BUCKETS_MS[i] as number;
			if (!Number.isFinite(high)) return low;
			return Math.round(low + ((rank - seen) / n) * (high - low));
		}
		seen += n;
	}
	return null;
};

export const emptyMinute = (): MinuteStats => ({
	attempts: 0,
	succeeded: 0,
	histogram: new Array<number>(LATENCY_BUCKETS_MS.length).fill(0),
});

/** The minute with one more attempt counted. */
export const withAttempt = (minute: MinuteStats, succeeded: boolean, durationMs: number): MinuteStats => {
	const bucket = bucketOf(durationMs);
	return {
		attempts: minute.attempts + 1,
		succeeded: minute.succeeded + (succeeded ? 1 : 0),
		histogram: minute.histogram.map((n, i) => (i === bucket ? n + 1 : n)),
	};
};

/** Two histograms added bucket by bucket; `a` sets the length (a stored one may be shorter, or empty). */
export const mergeHistograms = (a: number[], b: number[]) => a.map((n, i) => n + (b[i] ?? 0));

/** The first minute a window of `minutes` up to `now` leaves out: the window is the minutes after it. */
export const windowStart = (minutes: number, now: number) => minuteOf(now) - minutes;

/** One window's figures from its minutes. */
export const windowStats = (minutes: MinuteStats[]): WindowStats => {
	let histogram = emptyMinute().histogram;
	let attempts = 0;
	let succeeded = 0;
	for (const m of minutes) {
		attempts += m.attempts;
		succeeded += m.succeeded;
		histogram = mergeHistograms(histogram, m.histogram);
	}
	return {
		attempts,
		succeeded,
		successRate: attempts === 0 ? null : succeeded / attempts,
		latencyMs: { p50: percentileOf(histogram, 50), p95: percentileOf(histogram, 95) },
	};
};

/** The first minute of the 24 hours the chart shows: the current hour and the 23 before it. */
export const hourlyStart = (now: number) => (hourOf(now) - 23) * 60;

/** Attempts per hour over the last 24 hours, oldest first, from totals by hour number (minute / 60). */
export const hourlySeries = (hours: ({ hour: number } & HourStats)[], now: number): HourStats[] => {
	const current = hourOf(now);
	const out = Array.from({ length: 24 }, () => ({ attempts: 0, succeeded: 0 }));
	for (const h of hours) {
		const slot = out[23 - (current - h.hour)];
		if (slot) {
			slot.attempts = h.attempts;
			slot.succeeded = h.succeeded;
		}
	}
	return out;
};
