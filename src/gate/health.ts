// Endpoint health, kept by the endpoint gate for its webhook: the circuit
// breaker, pacing, the paused backlog and per-minute delivery statistics.
// The gate (./index.ts) calls these inside its own storage, synchronously, so
// every decision and its record are one step for the Durable Object.
//
//   closed ──(failureThreshold consecutive failed attempts)──▶ open
//   open ──(cool-down over: the next send is the probe)──▶ half_open
//   half_open ──(probe succeeded)──▶ closed: the paused backlog is released, oldest first, at a bounded rate
//   half_open ──(probe failed)──▶ open, with the cool-down doubled (30 s … 30 min by default)
//   open for disableAfterHours ──▶ the webhook is disabled; its paused notifications become skipped
import type { AttemptOutcome } from "../delivery/send";

export type CircuitState = "closed" | "open" | "half_open";

export type CircuitRow = {
	state: CircuitState;
	consecutive_failures: number;
	/** When the current outage began (the circuit first opened); null while closed. */
	opened_at: number | null;
	cool_down_ms: number;
	next_probe_at: number | null;
	probe_id: string | null;
	probe_lease_until: number | null;
	last_success_at: number | null;
	last_failure_at: number | null;
	last_error: string | null;
	/** Pacing: the earliest time the next send may start. */
	next_send_at: number;
	webhook_id: string | null;
	disable_after_ms: number;
	disabled_at: number | null;
};

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

/** Failures that say the receiver is unwell. Hookline's own (blocked target, proxy trouble) do not count. */
export const countsAgainstReceiver = (outcome: AttemptOutcome) =>
	!outcome.succeeded && outcome.errorKind !== "proxy" && outcome.errorKind !== "blocked";
