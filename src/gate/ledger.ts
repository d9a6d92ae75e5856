// The ledger decision, pure: from what the gate remembers of a notification and
// the attempt a caller asks for, whether to send it, hand back the attempt that
// already ran (replay), wait for the send in flight (busy) or re-read (stale).
// This is what keeps a queue redelivery, or two consumers racing, from a second
// attempt with the same number or any send after success.
import type { StoredRequest } from "../attempt/request";
import type { GateAnswer, GateRecord, GateSend } from "./contract";

export type LedgerState = "inflight" | "attempted" | "delivered";

/** What the ledger keeps per notification (./tables/ledger.ts stores it). */
export type LedgerEntry = {
	series: number;
	lastNumber: number;
	state: LedgerState;
	/** While in flight: when the send is presumed dead with its instance. */
	leaseUntil: number | null;
	lastAttempt: GateRecord | null;
	/** The request first sent: every later attempt sends its body and headers byte for byte. */
	request: StoredRequest | null;
};

export type LedgerDecision =
	| Extract<GateAnswer, { kind: "stale" | "busy" | "replay" }>
	| { kind: "send"; request: StoredRequest };

/** Ledger rows untouched this long are dropped; history lives in D1. */
export const LEDGER_KEEP_MS = 14 * 86_400_000;
/** How often a busy gate drops ledger rows older than LEDGER_KEEP_MS, and how many per round. */
export const LEDGER_SWEEP_EVERY_MS = 60_000;
export const LEDGER_SWEEP_ROWS = 500;
/** A send holds its lease this long past its timeout: time to write its record after the answer. */
const LEASE_GRACE_MS = 15_000;

export const decideLedger = (
	entry: LedgerEntry | undefined,
	ask: Pick<GateSend, "series" | "number" | "request">,
	now: number,
): LedgerDecision => {
	// Every later attempt sends the first request's body and headers; the URL follows the
	// webhook (the caller renders it from the webhook as it is now), so credentials and
	// signatures only ever go to the webhook's current URL.
	const first = entry?.request;
	const send = { kind: "send", request: first ? { ...first, url: ask.request.url } : ask.request } as const;
	if (!entry) return send;
	if (entry.series > ask.series) return { kind: "stale" };
	// One send per notification at a time, whatever the series (a re-send waits for the send in flight).
	if (entry.state === "inflight" && (entry.leaseUntil ?? 0) > now) {
		return { kind: "busy", retryInSeconds: Math.max(1, Math.ceil(((entry.leaseUntil ?? now) - now) / 1000)) };
	}
	if (entry.series !== ask.series) return send;
	const last = entry.lastAttempt;
	if (entry.state === "delivered" && last) return { kind: "replay", ...last };
	// The caller is behind: hand it the newest recorded attempt so its record catches up.
	if (entry.lastNumber > ask.number) return last ? { kind: "replay", ...last } : { kind: "stale" };
	if (entry.state === "attempted" && last && last.number === ask.number) return { kind: "replay", ...last };
	// An in-flight entry of this number whose lease ran out: that send died with its instance; try again.
	return send;
};

/** Until when a send starting after `waitMs` holds its notification. */
export const leaseUntil = (now: number, waitMs: number, timeoutMs: number) => now + waitMs + timeoutMs + LEASE_GRACE_MS;

/**
 * When the next sweep of old rows is due, after one that dropped `dropped`:
 * a full round means more are waiting, so the next send sweeps again and the
 * sweep keeps up with any rate; otherwise in a minute.
 */
export const sweptAtAfter = (dropped: number, now: number) => (dropped >= LEDGER_SWEEP_ROWS ? 0 : now);

export const sweepDue = (sweptAt: number, now: number) => now - sweptAt >= LEDGER_SWEEP_EVERY_MS;
