// Releasing parked notifications: the gate takes the oldest off its parked
// list (./tables/parked.ts), holds a slot for each (./slots.ts) until it comes
// back, and enqueues them again (./outgoing.ts). ./parked.ts has the rules of
// when and how many.
import { enqueueParked } from "./outgoing";
import type { Slots } from "./slots";
import type { ParkedRow, ParkedTable } from "./tables/parked";

export class ParkedReleases {
	readonly #parked: ParkedTable;
	readonly #slots: Slots;
	/** Whether this instance knows the webhook's bound yet (a send has told it since it started). */
	readonly #knowsBound: () => boolean;
	/** Released but not yet enqueued (enqueue sends them). */
	#pending: ParkedRow[] = [];

	constructor(parked: ParkedTable, slots: Slots, knowsBound: () => boolean) {
		this.#parked = parked;
		this.#slots = slots;
		this.#knowsBound = knowsBound;
	}

	/**
	 * Releases up to `limit` parked notifications, oldest first, each with a
	 * slot held until it comes back. (An instance that does not know the bound
	 * yet holds none: its releases take free slots like any send.)
	 */
	release(limit: number, now: number) {
		const rows = this.#parked.releasable(now, limit);
		if (rows.length === 0) return;
		if (this.#knowsBound()) for (const row of rows) this.#slots.hold(row.notification_id, now);
		this.#parked.released(
			rows.map((r) => r.notification_id),
			now,
		);
		this.#pending.push(...rows);
	}

	/** Enqueues what was released to the shard's deliveries (a failure is left to the alarm, which releases it again). */
	async enqueue(queue: Queue, shard: () => string) {
		if (this.#pending.length === 0) return;
		await enqueueParked(queue, shard(), this.#pending.splice(0));
	}
}
