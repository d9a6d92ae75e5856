// The circuit breaker as pure functions: who may send (and who is the probe),
// how an attempt moves the circuit, and the deadlines the alarm works to.
import { describe, expect, it } from "vitest";
import type { AttemptOutcome } from "../../src/attempt/send";
import {
	admit,
	afterAttempt,
	type Circuit,
	claimProbe,
	disableDue,
	disableReason,
	newCircuit,
	nextLookAt,
	reopened,
	settingsChange,
} from "../../src/gate/circuit";

const NOW = 1_700_000_000_000;
const coolDown = { base: 30_000, max: 1_800_000 };
const settings = { webhookId: "wh_1", shard: "SHARD_A", disableAfterMs: 120 * 3_600_000 };

const closed = (fields: Partial<Circuit> = {}): Circuit => ({
	...newCircuit(NOW - 60_000, coolDown, settings),
	...fields,
});
const open = (fields: Partial<Circuit> = {}) =>
	closed({
		state: "open",
		consecutive_failures: 3,
		opened_at: NOW - 10_000,
		next_probe_at: NOW + 20_000,
		last_error: "HTTP 500",
		...fields,
	});

const outcome = (fields: Partial<AttemptOutcome>): AttemptOutcome => ({
	succeeded: false,
	statusCode: 500,
	errorKind: "http",
	error: "HTTP 500",
	responseExcerpt: null,
	durationMs: 20,
	...fields,
});
const ok = outcome({ succeeded: true, statusCode: 200, errorKind: null, error: null });
const failed = outcome({});
const attempt = (probe = false) => ({ probe, failureThreshold: 3, coolDown });

describe("admission", () => {
	it("lets every send through a closed circuit, none as a probe", () => {
		expect(admit(closed(), "ntf_a", NOW)).toEqual({ kind: "send", probe: false });
	});

	it("pauses sends while the circuit is open, until the next probe, saying why", () => {
		const answer = admit(open(), "ntf_a", NOW);
		expect(answer).toMatchObject({ kind: "paused", until: NOW + 20_000 });
		if (answer.kind === "paused")
			expect(answer.reason).toBe(
				`circuit open after 3 consecutive failed attempts (last: HTTP 500); next probe at ${new Date(NOW + 20_000).toISOString()}`,
			);
	});

	it("makes the first send after the cool-down the probe", () => {
		expect(admit(open({ next_probe_at: NOW }), "ntf_a", NOW)).toEqual({ kind: "send", probe: true });
	});

	it("holds others while a probe is out (half-open); the probe's own retry and a probe past its lease may go", () => {
		const halfOpen = open({
			state: "half_open",
			next_probe_at: NOW - 1,
			probe_id: "ntf_p",
			probe_lease_until: NOW + 5000,
		});
		expect(admit(halfOpen, "ntf_other", NOW)).toMatchObject({ kind: "paused" });
		expect(admit(halfOpen, "ntf_p", NOW)).toEqual({ kind: "send", probe: true });
		expect(admit({ ...halfOpen, probe_lease_until: NOW - 1 }, "ntf_other", NOW)).toEqual({ kind: "send", probe: true });
	});

	it("claims the circuit half-open for the probe through its timeout and a grace", () => {
		expect(claimProbe("ntf_p", NOW, 5000)).toEqual({
			state: "half_open",
			probe_id: "ntf_p",
			probe_lease_until: NOW + 5000 + 15_000,
		});
	});
});

describe("after an attempt", () => {
	it("notes a success on a healthy circuit at most once a second, and nothing else", () => {
		expect(afterAttempt(closed({ last_success_at: NOW - 1000 }), ok, attempt(), NOW)).toEqual({
			change: { last_success_at: NOW },
			next: "nothing",
		});
		expect(afterAttempt(closed({ last_success_at: NOW - 999 }), ok, attempt(), NOW)).toEqual({
			change: null,
			next: "nothing",
		});
	});

	it("counts only consecutive failures: a success in between starts again", () => {
		const step = afterAttempt(closed({ consecutive_failures: 2 }), ok, attempt(), NOW);
		expect(step.change).toMatchObject({ consecutive_failures: 0, state: "closed", last_success_at: NOW });
		expect(step.next).toBe("nothing");
	});

	it("counts a failure below the threshold without opening", () => {
		expect(afterAttempt(closed({ consecutive_failures: 1 }), failed, attempt(), NOW)).toEqual({
			change: { consecutive_failures: 2, last_failure_at: NOW, last_error: "HTTP 500" },
			next: "nothing",
		});
	});

	it("opens at the threshold with the first cool-down, and schedules the alarm for the probe", () => {
		const step = afterAttempt(closed({ consecutive_failures: 2 }), failed, attempt(), NOW);
		expect(step.next).toBe("schedule");
		expect(step.change).toMatchObject({
			state: "open",
			consecutive_failures: 3,
			opened_at: NOW,
			cool_down_ms: 30_000,
			next_probe_at: NOW + 30_000,
			probe_id: null,
		});
	});

	it("reopens after a failed probe with the cool-down doubled, up to the max, keeping when the outage began", () => {
		const probing = open({ state: "half_open", cool_down_ms: 60_000, probe_id: "ntf_p" });
		expect(afterAttempt(probing, failed, attempt(true), NOW).change).toMatchObject({
			state: "open",
			cool_down_ms: 120_000,
			next_probe_at: NOW + 120_000,
			opened_at: NOW - 10_000,
		});
		const longest = open({ state: "half_open", cool_down_ms: 1_200_000 });
		expect(afterAttempt(longest, failed, attempt(true), NOW).change).toMatchObject({ cool_down_ms: 1_800_000 });
	});

	it("closes after a successful probe with the first cool-down, and releases the backlog", () => {
		const probing = open({ state: "half_open", cool_down_ms: 120_000, probe_id: "ntf_p" });
		expect(afterAttempt(probing, ok, attempt(true), NOW)).toEqual({
			change: {
				state: "closed",
				consecutive_failures: 0,
				opened_at: null,
				cool_down_ms: 30_000,
				next_probe_at: null,
				probe_id: null,
				probe_lease_until: null,
				last_success_at: NOW,
			},
			next: "release",
		});
	});

	it("does not count Hookline's own failures (a refused target, proxy trouble) against the receiver", () => {
		for (const errorKind of ["blocked", "proxy"] as const)
			expect(afterAttempt(closed({ consecutive_failures: 2 }), outcome({ errorKind }), attempt(), NOW)).toEqual({
				change: null,
				next: "nothing",
			});
	});
});

describe("deadlines", () => {
	it("disables after disableAfterHours open, never while closed", () => {
		const hours = 120 * 3_600_000;
		expect(disableDue(open({ opened_at: NOW - hours }), NOW)).toBe(true);
		expect(disableDue(open({ opened_at: NOW - hours + 1 }), NOW)).toBe(false);
		expect(disableDue(closed({ opened_at: NOW - hours }), NOW)).toBe(false);
		expect(disableReason(open())).toBe("circuit open for 120 h (last error: HTTP 500)");
	});

	it("looks again at the probe or the disable deadline, whichever is first; after a lost probe, a cool-down on", () => {
		expect(nextLookAt(open(), NOW)).toBe(NOW + 20_000);
		expect(nextLookAt(open({ disable_after_ms: 15_000 }), NOW)).toBe(NOW + 5000);
		expect(nextLookAt(open({ next_probe_at: NOW - 1 }), NOW)).toBe(NOW + 30_000);
	});

	it("enabling again gives a closed circuit that may be disabled again", () => {
		expect(reopened(coolDown)).toMatchObject({ state: "closed", consecutive_failures: 0, disabled_at: null });
	});

	it("refreshes the stored webhook settings only when a send's differ", () => {
		expect(settingsChange(closed(), settings)).toBeNull();
		expect(settingsChange(closed(), { ...settings, disableAfterMs: 3_600_000 })).toEqual({
			webhook_id: "wh_1",
			shard: "SHARD_A",
			disable_after_ms: 3_600_000,
		});
	});
});
