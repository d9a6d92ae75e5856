// The ledger decision, pure: from what the gate remembers of a notification and
// the attempt a caller asks for, whether to send it, hand back the attempt that
// already ran (replay), wait for the send in flight (busy) or re-read (stale).
// This is what keeps a queue redelivery, or two consumers racing, from a second
// attempt with the same number or any send after success. Also how long a row
// is kept and when the next sweep is due: history lives in D1, so a row lives
// only as long as a redelivery of its attempt can still arrive.
import type { StoredRequest } from "../attempt/request";
import type { GateAnswer, GateRecord, GateSend } from "./contract";

export type LedgerState = "inflight" | "attempted" | "delivered";

/** An attempt as the ledger keeps it: the record without the request, which the entry holds once. */
export type SettledAttempt = Omit<GateRecord, "request"> & {
	/** Where the attempt went (the URL follows the webhook, so it can differ from the first request's). */
	url: string;
};

/** What the ledger keeps per notification (./tables/ledger.ts stores it). */
export type LedgerEntry = {
	series: number;
	lastNumber: number;
	state: LedgerState;
	/** While in flight: when the send is presumed dead with its instance. */
	leaseUntil: number | null;
	lastAttempt: SettledAttempt | null;
	/**
	 * The request first sent, kept only while D1 may not hold it (until then a
	 * redelivery must replay these bytes); null once D1 has it, and the caller's
	 * copy, read from D1, is the same bytes.
	 */
	request: StoredRequest | null;
};

export type LedgerDecision =
	| Extract<GateAnswer, { kind: "stale" | "busy" | "replay" }>
	| { kind: "send"; request: StoredRequest };

/**
 * A row is dropped this long after its last write. Long enough for a queue
 * redelivery of its attempt (a consumer whose D1 write failed retries after 2,
 * 4 … 256 s) to replay instead of sending again; after it, D1 holds the record
 * and the request, and the next attempt reads them from there.
 */
export const LEDGER_KEEP_MS = 3_600_000;
/** How often a busy gate drops expired ledger rows, and how many per round. */
export const LEDGER_SWEEP_EVERY_MS = 60_000;
export const LEDGER_SWEEP_ROWS = 500;
/** Rounds one alarm sweeps at most; a full last round brings the next alarm forward to a second. */
export const ALARM_SWEEP_ROUNDS = 20;
/** A send holds its lease this long past its timeout: time to write its record after the answer. */
const LEASE_GRACE_MS = 15_000;

/** The attempt a replay hands back: the settled record with the request's bytes and the URL it went to. */
const replayOf = (last: SettledAttempt, request: StoredRequest) => {
	const { url, ...record } = last;
	return { kind: "replay", ...record, request: { ...request, url } } as const;
};

export const decideLedger = (
	entry: LedgerEntry | undefined,
	ask: Pick<GateSend, "series" | "number" | "request">,
	now: number,
): LedgerDecision => {
	// Every later attempt sends the first request's body and headers; the URL follows the
	// webhook (the caller renders it from the webhook as it is now), so credentials and
	// signatures only ever go to the webhook's current URL. Without a first request kept
	// here, D1 holds it and the caller's body and headers are those bytes.
	const first = entry?.request ?? ask.request;
	const send = { kind: "send", request: { ...first, url: ask.request.url } } as const;
	if (!entry) return send;
	if (entry.series > ask.series) return { kind: "stale" };
	// One send per notification at a time, whatever the series (a re-send waits for the send in flight).
	if (entry.state === "inflight" && (entry.leaseUntil ?? 0) > now) {
		return { kind: "busy", retryInSeconds: Math.max(1, Math.ceil(((entry.leaseUntil ?? now) - now) / 1000)) };
	}
	if (entry.series !== ask.series) return send;
	const last = entry.lastAttempt;
	if (entry.state === "delivered" && last) return replayOf(last, first);
	// The caller is behind: hand it the newest recorded attempt so its record catches up.
	if (entry.lastNumber > ask.number) return last ? replayOf(last, first) : { kind: "stale" };
	if (entry.state === "attempted" && last && last.number === ask.number) return replayOf(last, first);
	// An in-flight entry of this number whose lease ran out: that send died with its instance; try again.
	return send;
};

/** What the ledger keeps of an attempt that ended. */
export const settledOf = ({ request, ...record }: GateRecord): SettledAttempt => ({ ...record, url: request.url });

/** Until when a send starting after `waitMs` holds its notification. */
export const leaseUntil = (now: number, waitMs: number, timeoutMs: number) => now + waitMs + timeoutMs + LEASE_GRACE_MS;

/**
 * When the next sweep of old rows is due, after one that dropped `dropped`:
 * a full round means more are waiting, so the next send sweeps again and the
 * sweep keeps up with any rate; otherwise in a minute.
 */
export const sweptAtAfter = (dropped: number, now: number) => (dropped >= LEDGER_SWEEP_ROWS ? 0 : now);

export const sweepDue = (sweptAt: number, now: number) => now - sweptAt >= LEDGER_SWEEP_EVERY_MS;

/**
 * When the alarm sweeps next, so rows go even when no send comes: when the
 * oldest row expires, but no sooner than a minute from now (a steady stream
 * of expiring rows costs one alarm a minute), or in a second after a sweep
 * that stopped with rows still waiting. Nothing kept: no alarm.
 */
export const nextSweepAt = (oldestWrite: number | null, { more }: { more: boolean }, now: number) => {
	if (oldestWrite === null) return undefined;
	if (more) return now + 1000;
	return Math.max(oldestWrite + LEDGER_KEEP_MS, now + LEDGER_SWEEP_EVERY_MS);
};
