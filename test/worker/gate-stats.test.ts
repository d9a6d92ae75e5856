// The gate's delivery statistics as pure functions: latency buckets and
// percentiles, counting an attempt into its minute, the figures of a window,
// and the 24-hour series of the console's chart.
import { describe, expect, it } from "vitest";
import {
	bucketOf,
	emptyMinute,
	hourlySeries,
	hourlyStart,
	LATENCY_BUCKETS_MS,
	mergeHistograms,
	percentileOf,
	windowStart,
	windowStats,
	withAttempt,
} from "../../src/gate/stats";

const HOUR = 3_600_000;

describe("latency", () => {
	it("estimates percentiles inside histogram buckets", () => {
		// Buckets: ≤5, ≤10, ≤20 ms …: 10 samples in (10, 20] put the median at 15.
		const histogram = [0, 0, 10, 0];
		expect(percentileOf(histogram, 50)).toBe(15);
		expect(percentileOf([0, 0, 0], 50)).toBeNull();
	});

	it("puts a duration in the first bucket whose bound holds it, the slowest in the open last one", () => {
		expect(bucketOf(0)).toBe(0);
		expect(bucketOf(5)).toBe(0);
		expect(bucketOf(6)).toBe(1);
		expect(bucketOf(30_000)).toBe(LATENCY_BUCKETS_MS.length - 2);
		expect(bucketOf(30_001)).toBe(LATENCY_BUCKETS_MS.length - 1);
	});

	it("answers the lower bound for a percentile in the open last bucket", () => {
		const histogram = emptyMinute().histogram.map((_, i) => (i === LATENCY_BUCKETS_MS.length - 1 ? 4 : 0));
		expect(percentileOf(histogram, 95)).toBe(30_000);
	});
});

describe("counting", () => {
	it("counts an attempt into its minute without changing the minute it was given", () => {
		const empty = emptyMinute();
		const one = withAttempt(empty, true, 12);
		const two = withAttempt(one, false, 4);
		expect(empty).toEqual(emptyMinute());
		expect(two).toMatchObject({ attempts: 2, succeeded: 1 });
		expect(two.histogram[bucketOf(12)]).toBe(1);
		expect(two.histogram[bucketOf(4)]).toBe(1);
		expect(two.histogram.reduce((a, b) => a + b, 0)).toBe(2);
	});

	it("adds a stored histogram to a gathered one, bucket by bucket, a missing one counting as empty", () => {
		expect(mergeHistograms([1, 2, 3], [10, 20, 30])).toEqual([11, 22, 33]);
		expect(mergeHistograms([1, 2, 3], [])).toEqual([1, 2, 3]);
	});
});

describe("windows", () => {
	it("has no rate and no latency without attempts", () => {
		expect(windowStats([])).toEqual({
			attempts: 0,
			succeeded: 0,
			successRate: null,
			latencyMs: { p50: null, p95: null },
		});
	});

	it("sums its minutes into a success rate and percentiles", () => {
		let fast = emptyMinute();
		for (let i = 0; i < 9; i++) fast = withAttempt(fast, true, 15);
		const slow = withAttempt(emptyMinute(), false, 2500);
		const stats = windowStats([fast, slow]);
		expect(stats).toMatchObject({ attempts: 10, succeeded: 9, successRate: 0.9 });
		expect(stats.latencyMs.p50).toBeGreaterThan(10);
		expect(stats.latencyMs.p50).toBeLessThanOrEqual(20);
		expect(stats.latencyMs.p95).toBeGreaterThan(2000);
		expect(stats.latencyMs.p95).toBeLessThanOrEqual(3000);
	});

	it("covers the last hour as the 60 minutes after its start", () => {
		const now = Date.UTC(2026, 0, 1, 12, 30, 15);
		const currentMinute = Math.floor(now / 60_000);
		expect(windowStart(60, now)).toBe(currentMinute - 60);
	});
});

describe("the 24-hour chart", () => {
	const now = Date.UTC(2026, 0, 1, 12, 30);
	const hour = Math.floor(now / HOUR);

	it("starts at the first minute of the hour 23 hours before the current one", () => {
		expect(hourlyStart(now)).toBe((hour - 23) * 60);
	});

	it("places each hour's totals oldest first, the current hour last, and leaves the rest at zero", () => {
		const series = hourlySeries(
			[
				{ hour, attempts: 5, succeeded: 4 },
				{ hour: hour - 23, attempts: 2, succeeded: 0 },
				{ hour: hour - 24, attempts: 9, succeeded: 9 },
			],
			now,
		);
		expect(series).toHaveLength(24);
		expect(series[23]).toEqual({ attempts: 5, succeeded: 4 });
		expect(series[0]).toEqual({ attempts: 2, succeeded: 0 });
		expect(series.slice(1, 23).every((h) => h.attempts === 0 && h.succeeded === 0)).toBe(true);
	});
});
