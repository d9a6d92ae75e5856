// The gate's ledger decision as a pure function: send, replay, busy or stale
// for every state the ledger can hold a notification in, and the lease and
// sweep timing around it.
import { describe, expect, it } from "vitest";
import type { GateRecord } from "../../src/gate";
import {
	decideLedger,
	LEDGER_SWEEP_EVERY_MS,
	LEDGER_SWEEP_ROWS,
	type LedgerEntry,
	leaseUntil,
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

const entry = (fields: Partial<LedgerEntry>): LedgerEntry => ({
	series: 0,
	lastNumber: 1,
	state: "attempted",
	leaseUntil: null,
	lastAttempt: record(1, false),
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
		const delivered = entry({ state: "delivered", lastNumber: 2, lastAttempt: record(2, true) });
		expect(decideLedger(delivered, ask(0, 3), NOW)).toEqual({ kind: "replay", ...record(2, true) });
	});

	it("replays an attempt number already used", () => {
		expect(decideLedger(entry({}), ask(0, 1), NOW)).toEqual({ kind: "replay", ...record(1, false) });
	});

	it("hands a caller behind the newest attempt that attempt, or stale when none is recorded", () => {
		const ahead = entry({ lastNumber: 3, lastAttempt: record(3, false) });
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

	it("sends a newer series (a re-send) after success, with the stored request", () => {
		const delivered = entry({ state: "delivered", lastAttempt: record(1, true) });
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
});
