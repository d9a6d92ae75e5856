// The gate's ledger decision as a pure function: send, replay, busy or stale
// for every state the ledger can hold a notification in, and the lease and
// sweep timing around it.
import { describe, expect, it } from "vitest";
import type { GateRecord } from "../../src/gate";
import {
	decideLedger,
	LEDGER_KEEP_MS,
	LEDGER_SWEEP_EVERY_MS,
	LEDGER_SWEEP_ROWS,
	type LedgerEntry,
	leaseUntil,
	nextSweepAt,
	settledOf,
	sweepDue,
	sweptAtAfter,
} from "../../src/gate/ledger";

const NOW = 1_700_000_000_000;
const stored = { method: "POST", url: "https://receiver.test/a", headers: {}, body: '{"first":true}' };
const asked = { method: "POST", url: "https://receiver.test/a", headers: {}, body: '{"second":true}' };

const record = (number: number, succeeded: boolean): GateRecord => ({
	attemptId: `att_${number}`,
	number,
	startedAt: NOW - 10_000,
	outcome: {
		succeeded,
		statusCode: succeeded ? 200 : 500,
		errorKind: null,
		error: null,
		responseExcerpt: null,
		durationMs: 10,
	},
	request: stored,
});

/** An attempt as the ledger keeps it: without the request, with the URL it went to. */
const settled = (number: number, succeeded: boolean) => settledOf(record(number, succeeded));

const entry = (fields: Partial<LedgerEntry>): LedgerEntry => ({
	series: 0,
	lastNumber: 1,
	state: "attempted",
	leaseUntil: null,
	lastAttempt: settled(1, false),
	request: stored,
	...fields,
});

const ask = (series: number, number: number) => ({ series, number, request: asked });

describe("ledger decision", () => {
	it("sends a notification it has never seen, with the caller's request", () => {
		expect(decideLedger(undefined, ask(0, 1), NOW)).toEqual({ kind: "send", request: asked });
	});

	it("calls a caller with an older series than the ledger's stale", () => {
		expect(decideLedger(entry({ series: 2 }), ask(1, 1), NOW)).toEqual({ kind: "stale" });
	});

	it("answers busy while a send holds the lease, whatever the series, with the seconds left (at least one)", () => {
		const inflight = entry({ state: "inflight", leaseUntil: NOW + 2500, lastAttempt: null });
		expect(decideLedger(inflight, ask(0, 1), NOW)).toEqual({ kind: "busy", retryInSeconds: 3 });
		expect(decideLedger(inflight, ask(1, 1), NOW)).toEqual({ kind: "busy", retryInSeconds: 3 });
		expect(decideLedger({ ...inflight, leaseUntil: NOW + 10 }, ask(0, 1), NOW)).toEqual({
			kind: "busy",
			retryInSeconds: 1,
		});
	});

	it("sends again when the send in flight let its lease run out (its instance died)", () => {
		const dead = entry({ state: "inflight", leaseUntil: NOW - 1, lastAttempt: null });
		expect(decideLedger(dead, ask(0, 1), NOW)).toEqual({ kind: "send", request: stored });
	});

	it("replays the successful attempt instead of sending after success in the same series", () => {
		const delivered = entry({ state: "delivered", lastNumber: 2, lastAttempt: settled(2, true) });
		expect(decideLedger(delivered, ask(0, 3), NOW)).toEqual({ kind: "replay", ...record(2, true) });
	});

	it("replays an attempt number already used", () => {
		expect(decideLedger(entry({}), ask(0, 1), NOW)).toEqual({ kind: "replay", ...record(1, false) });
	});

	it("hands a caller behind the newest attempt that attempt, or stale when none is recorded", () => {
		const ahead = entry({ lastNumber: 3, lastAttempt: settled(3, false) });
		expect(decideLedger(ahead, ask(0, 2), NOW)).toEqual({ kind: "replay", ...record(3, false) });
		expect(decideLedger({ ...ahead, lastAttempt: null }, ask(0, 2), NOW)).toEqual({ kind: "stale" });
	});

	it("sends the next attempt number, with the request stored at the first send", () => {
		expect(decideLedger(entry({}), ask(0, 2), NOW)).toEqual({ kind: "send", request: stored });
	});

	it("sends the stored body and headers to the URL the caller has now: the URL follows the webhook", () => {
		const moved = { ...asked, url: "https://moved.test/b", headers: { "x-new": "1" } };
		const storedWithHeaders = { ...stored, headers: { "x-first": "1" } };
		expect(decideLedger(entry({ request: storedWithHeaders }), { ...ask(0, 2), request: moved }, NOW)).toEqual({
			kind: "send",
			request: { ...storedWithHeaders, url: "https://moved.test/b" },
		});
	});

	it("keeps no copy of the request in the attempt's record, only the URL it went to", () => {
		const moved = { ...record(2, false), request: { ...stored, url: "https://moved.test/b" } };
		expect(settledOf(moved)).toEqual({
			attemptId: "att_2",
			number: 2,
			startedAt: NOW - 10_000,
			outcome: moved.outcome,
			url: "https://moved.test/b",
		});
		const replay = decideLedger(entry({ lastNumber: 2, lastAttempt: settledOf(moved) }), ask(0, 2), NOW);
		expect(replay).toEqual({ kind: "replay", ...moved });
	});

	it("once D1 holds the request (the ledger keeps none), sends and replays the caller's bytes, which are D1's", () => {
		const fromD1 = { ...stored, url: "https://receiver.test/now" };
		const kept = entry({ request: null });
		expect(decideLedger(kept, { ...ask(0, 2), request: fromD1 }, NOW)).toEqual({ kind: "send", request: fromD1 });
		expect(decideLedger(kept, { ...ask(0, 1), request: fromD1 }, NOW)).toEqual({
			kind: "replay",
			...record(1, false),
			request: { ...fromD1, url: stored.url },
		});
	});

	it("sends a newer series (a re-send) after success, with the stored request", () => {
		const delivered = entry({ state: "delivered", lastAttempt: settled(1, true) });
		expect(decideLedger(delivered, ask(1, 1), NOW)).toEqual({ kind: "send", request: stored });
	});
});

describe("ledger timing", () => {
	it("holds a send through its pacing wait, its timeout and a grace to write its record", () => {
		expect(leaseUntil(NOW, 400, 5000)).toBe(NOW + 400 + 5000 + 15_000);
	});

	it("sweeps once a minute, and again at once after a full round (more are waiting)", () => {
		const partial = sweptAtAfter(LEDGER_SWEEP_ROWS - 1, NOW);
		expect(sweepDue(partial, NOW + LEDGER_SWEEP_EVERY_MS - 1)).toBe(false);
		expect(sweepDue(partial, NOW + LEDGER_SWEEP_EVERY_MS)).toBe(true);
		expect(sweepDue(sweptAtAfter(LEDGER_SWEEP_ROWS, NOW), NOW + 1)).toBe(true);
	});

	it("keeps a row an hour after its last write, not weeks", () => {
		expect(LEDGER_KEEP_MS).toBe(3_600_000);
	});

	it("has the alarm sweep when the oldest row expires, at most once a minute, in a second while more wait, never when empty", () => {
		const more = { more: true };
		const done = { more: false };
		expect(nextSweepAt(NOW - 600_000, done, NOW)).toBe(NOW - 600_000 + LEDGER_KEEP_MS);
		expect(nextSweepAt(NOW - LEDGER_KEEP_MS, done, NOW)).toBe(NOW + LEDGER_SWEEP_EVERY_MS);
		expect(nextSweepAt(NOW - LEDGER_KEEP_MS, more, NOW)).toBe(NOW + 1000);
		expect(nextSweepAt(null, more, NOW)).toBeUndefined();
	});
});
