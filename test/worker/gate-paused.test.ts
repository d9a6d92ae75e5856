// The paused backlog's rules as pure functions: what an alarm round does for
// each circuit, and when the alarm looks again.
import { describe, expect, it } from "vitest";
import { type Circuit, newCircuit } from "../../src/gate/circuit";
import {
	alarmRound,
	lostReleaseCutoff,
	nextAlarmAt,
	nextReleaseAt,
	RELEASE_PER_SECOND,
	RELEASE_STALE_MS,
} from "../../src/gate/paused";

const NOW = 1_700_000_000_000;
const coolDown = { base: 30_000, max: 1_800_000 };

const closed = (fields: Partial<Circuit> = {}): Circuit => ({
	...newCircuit(NOW - 60_000, coolDown, { webhookId: "wh_1", disableAfterMs: 120 * 3_600_000 }),
	...fields,
});
const open = (fields: Partial<Circuit> = {}) =>
	closed({ state: "open", consecutive_failures: 3, opened_at: NOW - 10_000, next_probe_at: NOW + 20_000, ...fields });

const noSummary = () => {
	throw new Error("the backlog was read while the circuit is open");
};

describe("alarm round", () => {
	it("does nothing for a disabled gate, or one never bound to a webhook", () => {
		expect(alarmRound(closed({ disabled_at: NOW - 1 }), NOW)).toEqual({ kind: "idle" });
		expect(alarmRound(closed({ webhook_id: null }), NOW)).toEqual({ kind: "idle" });
	});

	it("disables the webhook once the circuit stayed open for disableAfterHours, with the reason", () => {
		const expired = open({ opened_at: NOW - 120 * 3_600_000, last_error: "timeout" });
		expect(alarmRound(expired, NOW)).toEqual({
			kind: "disable",
			webhookId: "wh_1",
			reason: "circuit open for 120 h (last error: timeout)",
		});
	});

	it("while open, releases the oldest as the probe once the cool-down is over, and none before", () => {
		expect(alarmRound(open(), NOW)).toEqual({ kind: "release", limit: 0, probe: true });
		expect(alarmRound(open({ next_probe_at: NOW }), NOW)).toEqual({ kind: "release", limit: 1, probe: true });
	});

	it("releases no second probe while one is out", () => {
		const halfOpen = open({
			state: "half_open",
			next_probe_at: NOW - 1,
			probe_id: "ntf_p",
			probe_lease_until: NOW + 1,
		});
		expect(alarmRound(halfOpen, NOW)).toEqual({ kind: "release", limit: 0, probe: true });
	});

	it("after recovery releases at most RELEASE_PER_SECOND per round", () => {
		expect(alarmRound(closed(), NOW)).toEqual({ kind: "release", limit: RELEASE_PER_SECOND, probe: false });
	});
});

describe("next alarm", () => {
	it("counts a release as lost once it is RELEASE_STALE_MS old", () => {
		expect(lostReleaseCutoff(NOW)).toBe(NOW - RELEASE_STALE_MS);
	});

	it("releases the unreleased next second, re-releases lost ones when their release goes stale, else rests", () => {
		expect(nextReleaseAt({ unreleased: 3, oldestRelease: NOW - 1000 }, NOW)).toBe(NOW + 1000);
		expect(nextReleaseAt({ unreleased: 0, oldestRelease: NOW - 1000 }, NOW)).toBe(NOW - 1000 + RELEASE_STALE_MS);
		expect(nextReleaseAt({ unreleased: 0, oldestRelease: NOW - RELEASE_STALE_MS }, NOW)).toBe(NOW + 1000);
		expect(nextReleaseAt({ unreleased: 0, oldestRelease: null }, NOW)).toBeUndefined();
	});

	it("while open, looks at the probe time without reading the backlog", () => {
		expect(nextAlarmAt(open(), noSummary, NOW)).toBe(NOW + 20_000);
	});

	it("once closed, follows the backlog; a disabled gate sets none", () => {
		expect(nextAlarmAt(closed(), () => ({ unreleased: 1, oldestRelease: null }), NOW)).toBe(NOW + 1000);
		expect(
			nextAlarmAt(closed({ disabled_at: NOW }), () => ({ unreleased: 1, oldestRelease: null }), NOW),
		).toBeUndefined();
	});
});
