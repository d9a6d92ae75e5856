// The parked backlog's rules, pure: whether a send that finds the receiver at
// its concurrency bound waits in the gate for a slot or parks at once, how many
// parked notifications the alarm releases, and when it looks again.
// ./tables/parked.ts keeps the backlog, ./slots.ts the slots.
import { RELEASE_PER_SECOND } from "./paused";
import { SLOT_HOLD_MS } from "./slots";

/** While anything is parked, the alarm looks this often: for holds that lapsed, releases that were lost, a restart. */
export const PARKED_LOOK_MS = SLOT_HOLD_MS;

/**
 * At the bound, a send waits a moment in the gate for a slot, unless it is
 * the circuit's probe (decided before the wait, it must not wait) or others
 * are parked waiting for their release: then it parks behind them, so the
 * oldest go first.
 */
export const waitsForSlot = ({ probe, parkedAhead }: { probe: boolean; parkedAhead: boolean }) =>
	!probe && !parkedAhead;

/**
 * How many parked notifications an alarm round releases: as many as there are
 * free slots, at most RELEASE_PER_SECOND; an instance that has not seen a send
 * yet (after a restart) does not know the bound and releases a round.
 */
export const parkedRound = (freeSlots: number | undefined) =>
	Math.min(freeSlots ?? RELEASE_PER_SECOND, RELEASE_PER_SECOND);

export const nextParkedLookAt = (anyParked: boolean, now: number) => (anyParked ? now + PARKED_LOOK_MS : undefined);
