// The paused backlog's rules, pure: what an alarm round does (disable the
// webhook, release the oldest paused notification as the probe, release a
// bounded number after recovery, or nothing), when a release counts as lost,
// and when the alarm looks again. ./tables/paused.ts keeps the backlog itself.
import { DEFAULT_SHARD } from "../db/shards";
import { type Circuit, disableDue, disableReason, nextLookAt, probeDue } from "./circuit";

/** Paused notifications released per second after the circuit closes: recovery is no flood. */
export const RELEASE_PER_SECOND = 20;
/** A released notification not sent after this long is released again (its message was lost). */
export const RELEASE_STALE_MS = 60_000;
/** Releases of one notification without a send before the gate lets go of it (the sweeper still has it in D1). */
export const MAX_RELEASES = 5;

export type AlarmRound =
	/** Disabled, or never bound to a webhook: nothing to do, no next alarm. */
	| { kind: "idle" }
	/** The circuit stayed open for disableAfterHours: the webhook goes disabled, with the reason. */
	| { kind: "disable"; webhookId: string; shard: string; reason: string }
	/** Release up to `limit`, oldest first; `probe`: the one released goes as the circuit's probe. */
	| { kind: "release"; limit: number; probe: boolean };

export const alarmRound = (c: Circuit, now: number): AlarmRound => {
	if (c.disabled_at !== null || !c.webhook_id) return { kind: "idle" };
	if (disableDue(c, now))
		return { kind: "disable", webhookId: c.webhook_id, shard: c.shard ?? DEFAULT_SHARD, reason: disableReason(c) };
	// While open, one at a time: the oldest waiting becomes the probe once the cool-down is over.
	if (c.state !== "closed") return { kind: "release", limit: probeDue(c, now) ? 1 : 0, probe: true };
	return { kind: "release", limit: RELEASE_PER_SECOND, probe: false };
};

/** Released before this and still paused: the release's message was lost, release it again. */
export const lostReleaseCutoff = (now: number) => now - RELEASE_STALE_MS;

export type PausedSummary = { unreleased: number; oldestRelease: number | null };

/** After recovery: unreleased ones next second; released ones that were never sent, once their release is stale. */
export const nextReleaseAt = (s: PausedSummary, now: number) => {
	if (s.unreleased > 0) return now + 1000;
	if (s.oldestRelease !== null) return Math.max(now + 1000, s.oldestRelease + RELEASE_STALE_MS);
	return undefined;
};

/**
 * The next time the alarm has work: a probe or the auto-disable deadline while
 * the circuit is not closed, a release round after. `paused` is asked only
 * when the circuit is closed, so an open circuit costs no backlog read.
 */
export const nextAlarmAt = (c: Circuit, paused: () => PausedSummary, now: number) => {
	if (c.disabled_at !== null) return undefined;
	return c.state !== "closed" ? nextLookAt(c, now) : nextReleaseAt(paused(), now);
};
