// The circuit breaker's decisions, pure: whether a send may go (or waits, or is
// the probe), how an attempt moves the circuit, when the alarm should look
// again, and when to give up on the receiver. The gate stores the circuit
// (./tables/circuit.ts) and applies what these return.
//
//   closed ──(failureThreshold consecutive failed attempts)──▶ open
//   open ──(cool-down over: the next send is the probe)──▶ half_open
//   half_open ──(probe succeeded)──▶ closed: the paused backlog is released, oldest first, at a bounded rate
//   half_open ──(probe failed)──▶ open, with the cool-down doubled (30 s … 30 min by default)
//   open for disableAfterHours ──▶ the webhook is disabled; its paused notifications become skipped
import type { AttemptOutcome } from "../attempt/send";
import type { GateSend } from "./contract";

export type CircuitState = "closed" | "open" | "half_open";

/** The circuit as stored: one row per gate, column for column. */
export type Circuit = {
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
	/** Pacing once kept its next slot here; pacing is in memory now and the column stays unused. */
	next_send_at: number;
	webhook_id: string | null;
	/** The webhook's history shard; null in a gate that has not sent since shards came. */
	shard: string | null;
	disable_after_ms: number;
	disabled_at: number | null;
};

/** The columns a decision changes; the rest stay as they are. */
export type CircuitChange = Partial<Circuit>;

/** The first cool-down after the circuit opens, and the longest one after failed probes (ms). */
export type CoolDown = { base: number; max: number };

/** A probe holds the half-open circuit this long past its timeout, then another may go. */
const PROBE_GRACE_MS = 15_000;
/** A success on a healthy circuit is noted at most this often: a write per send would cost more than it tells. */
const SUCCESS_NOTE_EVERY_MS = 1000;

/** Failures that say the receiver is unwell. Hookline's own (blocked target, proxy trouble) do not count. */
export const countsAgainstReceiver = (outcome: AttemptOutcome) =>
	!outcome.succeeded && outcome.errorKind !== "proxy" && outcome.errorKind !== "blocked";

/** A closed circuit with the first cool-down, as at the first send and after recovery. */
const closed = (coolDown: CoolDown) =>
	({
		state: "closed",
		consecutive_failures: 0,
		opened_at: null,
		cool_down_ms: coolDown.base,
		next_probe_at: null,
		probe_id: null,
		probe_lease_until: null,
	}) satisfies CircuitChange;

/** A circuit for a gate's first send: closed, with the webhook's settings. */
export const newCircuit = (
	now: number,
	coolDown: CoolDown,
	settings: { webhookId: string | null; shard: string | null; disableAfterMs: number },
): Circuit => ({
	...closed(coolDown),
	last_success_at: null,
	last_failure_at: null,
	last_error: null,
	next_send_at: now,
	webhook_id: settings.webhookId,
	shard: settings.shard,
	disable_after_ms: settings.disableAfterMs,
	disabled_at: null,
});

/** Whether the probe due now is another notification's, still within its lease. */
const probeHeld = (c: Circuit, now: number, notificationId?: string) =>
	c.state === "half_open" && c.probe_id !== notificationId && (c.probe_lease_until ?? 0) > now;

/** Whether the cool-down is over and no other probe holds the circuit: the next send may be the probe. */
export const probeDue = (c: Circuit, now: number, notificationId?: string) =>
	(c.next_probe_at ?? 0) <= now && !probeHeld(c, now, notificationId);

export type Admission = { kind: "send"; probe: boolean } | { kind: "paused"; reason: string; until: number };

/** Whether a send may go: always while closed; otherwise only as the probe, and the rest wait in the gate. */
export const admit = (c: Circuit, notificationId: string, now: number): Admission => {
	if (c.state === "closed") return { kind: "send", probe: false };
	if (probeDue(c, now, notificationId)) return { kind: "send", probe: true };
	const until = Math.max(now, c.next_probe_at ?? now);
	return {
		kind: "paused",
		reason: `circuit open after ${c.consecutive_failures} consecutive failed attempts (last: ${c.last_error ?? "unknown"}); next probe at ${new Date(until).toISOString()}`,
		until,
	};
};

/** The probe takes the circuit half-open until it answers or its lease runs out. */
export const claimProbe = (notificationId: string, now: number, timeoutMs: number): CircuitChange => ({
	state: "half_open",
	probe_id: notificationId,
	probe_lease_until: now + timeoutMs + PROBE_GRACE_MS,
});

/** What follows an attempt besides the change: nothing, a release of the backlog, or the next alarm. */
export type CircuitStep = { change: CircuitChange | null; next: "nothing" | "release" | "schedule" };

/** How an attempt moves the circuit; `probe` says whether the attempt went as the probe. */
export const afterAttempt = (
	c: Circuit,
	outcome: AttemptOutcome,
	{ probe, failureThreshold, coolDown }: { probe: boolean; failureThreshold: number; coolDown: CoolDown },
	now: number,
): CircuitStep => {
	if (outcome.succeeded) {
		// The usual case, a success on a closed circuit: note the time, at most once a second.
		if (c.state === "closed" && c.consecutive_failures === 0) {
			const note = now - (c.last_success_at ?? 0) >= SUCCESS_NOTE_EVERY_MS;
			return { change: note ? { last_success_at: now } : null, next: "nothing" };
		}
		// Recovered: what waited is released, oldest first.
		return {
			change: { ...closed(coolDown), last_success_at: now },
			next: c.state !== "closed" ? "release" : "nothing",
		};
	}
	if (!countsAgainstReceiver(outcome)) return { change: null, next: "nothing" };
	const failures = c.consecutive_failures + 1;
	const counted = { consecutive_failures: failures, last_failure_at: now, last_error: outcome.error };
	const opens = probe || (c.state === "closed" && failures >= failureThreshold);
	if (!opens) return { change: counted, next: "nothing" };
	const coolDownMs = probe ? Math.min(coolDown.max, c.cool_down_ms * 2) : coolDown.base;
	return {
		change: {
			...counted,
			state: "open",
			opened_at: c.opened_at ?? now,
			cool_down_ms: coolDownMs,
			next_probe_at: now + coolDownMs,
			probe_id: null,
			probe_lease_until: null,
		},
		next: "schedule",
	};
};

/**
 * Whether a change turns the circuit as its tenant hears of it (an operational
 * event): an outage began (closed → open) or ended (→ closed). A failed probe
 * that reopens it is neither.
 */
export const turnOf = (c: Circuit, change: CircuitChange | null): "opened" | "closed" | null => {
	if (change?.state === "open" && c.state === "closed") return "opened";
	if (change?.state === "closed" && c.state !== "closed") return "closed";
	return null;
};

/** The webhook enabled again: a fresh, closed circuit that may be disabled again later. */
export const reopened = (coolDown: CoolDown): CircuitChange => ({ ...closed(coolDown), disabled_at: null });

/** The webhook's settings the circuit keeps, so the alarm knows them between sends. */
export type CircuitSettings = { webhookId: string; shard: string; disableAfterMs: number };

export const settingsOf = (send: Pick<GateSend, "webhookId" | "shard" | "disableAfterHours">): CircuitSettings => ({
	webhookId: send.webhookId,
	shard: send.shard,
	disableAfterMs: send.disableAfterHours * 3_600_000,
});

/** The webhook's settings as a send carries them, when they differ from the stored ones. */
export const settingsChange = (c: Circuit, settings: CircuitSettings) =>
	c.webhook_id !== settings.webhookId || c.shard !== settings.shard || c.disable_after_ms !== settings.disableAfterMs
		? { webhook_id: settings.webhookId, shard: settings.shard, disable_after_ms: settings.disableAfterMs }
		: null;

/** Whether the circuit stayed open for disableAfterHours: the webhook is disabled. */
export const disableDue = (c: Circuit, now: number) =>
	c.state !== "closed" && now - (c.opened_at ?? now) >= c.disable_after_ms;

export const disableReason = (c: Circuit) =>
	`circuit open for ${Math.round(c.disable_after_ms / 3_600_000)} h (last error: ${c.last_error ?? "unknown"})`;

/** While the circuit is not closed, the alarm's next look: the probe or the disable deadline, whichever is first. */
export const nextLookAt = (c: Circuit, now: number) => {
	const disableAt = (c.opened_at ?? now) + c.disable_after_ms;
	const at = Math.min(c.next_probe_at ?? now, disableAt);
	// A probe that never came back (its message lost): look again after a cool-down.
	return at <= now ? now + Math.max(c.cool_down_ms, 1000) : at;
};
