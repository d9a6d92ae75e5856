// The concurrency bound, in memory: the sends in flight to the receiver, the
// slots held for parked notifications on their way back through the queue,
// and the sends that wait a moment in the gate for a slot. A fresh instance
// starts empty (a restart ended every send and every wait), and a hold lapses
// on its own when its notification does not come back. Timers come in as an
// argument so tests drive them.

/** How long a send at the bound waits in the gate for a slot before it parks. */
export const SLOT_WAIT_MS = 1000;
/** How long a slot is held for a released parked notification before anyone may take it. */
export const SLOT_HOLD_MS = 5000;

/** Calls `fire` after `ms` unless the returned function cancels it first. */
export type Timer = (ms: number, fire: () => void) => () => void;

const timer: Timer = (ms, fire) => {
	const t = setTimeout(fire, ms);
	return () => clearTimeout(t);
};

type Waiter = { notificationId: string; grant: () => void };

export class Slots {
	#inFlight = 0;
	/** Slots held for released notifications, until when. */
	#held = new Map<string, number>();
	/** Sends waiting for a slot, longest first. */
	#waiters: Waiter[] = [];

	constructor(private readonly after: Timer = timer) {}

	get inFlight() {
		return this.#inFlight;
	}

	/** Whether a send of this notification waits here for a slot. */
	waiting(notificationId: string) {
		return this.#waiters.some((w) => w.notificationId === notificationId);
	}

	/** Takes a slot now if there is one for this notification: one held for it, or one nobody has or holds. */
	take(notificationId: string, maxConcurrency: number, now: number) {
		this.#lapse(now);
		if (!this.#held.delete(notificationId) && this.#inFlight + this.#held.size >= maxConcurrency) return false;
		this.#inFlight++;
		return true;
	}

	/** Waits up to `waitMs` for the slot of a send that ends; answers whether it got one. */
	wait(notificationId: string, waitMs = SLOT_WAIT_MS): Promise<boolean> {
		return new Promise((resolve) => {
			const waiter: Waiter = {
				notificationId,
				grant: () => {
					cancel();
					resolve(true);
				},
			};
			const cancel = this.after(waitMs, () => {
				this.#waiters = this.#waiters.filter((w) => w !== waiter);
				resolve(false);
			});
			this.#waiters.push(waiter);
		});
	}

	/** A send ends: its slot passes to the longest waiter, or comes free. Answers whether it came free. */
	end() {
		const next = this.#waiters.shift();
		if (next) {
			next.grant();
			return false;
		}
		this.#inFlight--;
		return true;
	}

	/** How many slots nobody has or holds. */
	free(maxConcurrency: number, now: number) {
		this.#lapse(now);
		return Math.max(0, maxConcurrency - this.#inFlight - this.#held.size);
	}

	/** Holds a free slot for a released notification until it comes back, or SLOT_HOLD_MS pass. */
	hold(notificationId: string, now: number) {
		this.#held.set(notificationId, now + SLOT_HOLD_MS);
	}

	#lapse(now: number) {
		for (const [id, until] of this.#held) if (until <= now) this.#held.delete(id);
	}
}
