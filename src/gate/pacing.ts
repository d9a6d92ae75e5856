// Pacing: whether a send to the receiver may start now, after a short wait, or
// must come back later (busy). It lives in memory only: a fresh instance has
// no backlog to pace. Time comes in as an argument so tests drive it. (The
// concurrency bound is ./slots.ts.)

/** What pacing allows a send: start after `waitMs`, or come back later. */
export type Pace = { kind: "go"; waitMs: number } | { kind: "busy"; retryInSeconds: number };

/** A slot further out than this is a requeue rather than a wait inside the gate. */
const WAIT_IN_GATE_MS = 1000;
/** Slots kept before the long-gone ones are dropped (their notifications never came back). */
const SLOTS_KEPT = 100_000;
const SLOT_FORGOTTEN_AFTER_MS = 60_000;

/**
 * Spaces sends to at most `ratePerSecond`. Each notification keeps the slot it
 * was given, so a backlog drains at the rate with one requeue per
 * notification, not one per second.
 */
export class Pacing {
	/** The next free send slot. */
	#nextSendAt = 0;
	/** The slot each waiting notification holds. */
	#slots = new Map<string, number>();

	take(notificationId: string, ratePerSecond: number, now: number): Pace {
		let slot = this.#slots.get(notificationId);
		if (slot === undefined) {
			slot = Math.max(now, this.#nextSendAt);
			this.#nextSendAt = slot + Math.ceil(1000 / ratePerSecond);
			this.#slots.set(notificationId, slot);
			if (this.#slots.size > SLOTS_KEPT) this.#forget(now);
		}
		const waitMs = Math.max(0, slot - now);
		if (waitMs > WAIT_IN_GATE_MS) return { kind: "busy", retryInSeconds: Math.max(1, Math.floor(waitMs / 1000)) };
		this.#slots.delete(notificationId);
		return { kind: "go", waitMs };
	}

	#forget(now: number) {
		for (const [id, at] of this.#slots) if (at < now - SLOT_FORGOTTEN_AFTER_MS) this.#slots.delete(id);
	}
}
