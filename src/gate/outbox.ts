// The gate's outbox in use: a turn of the circuit puts its operational event
// here (./tables/outbox.ts keeps it), the send that turned it writes it to the
// webhook's history shard before it answers, and the alarm writes what is
// still here when its try is due. One write at a time; the event's id makes a
// write that comes again write nothing (src/ops-events/circuit.ts).
import type { ShardEnv } from "../db/shards";
import { circuitTurn, emitForWebhook, type Pending } from "../ops-events/circuit";
import type { OperationalType } from "../ops-events/types";
import { type Circuit, type CircuitChange, turnOf } from "./circuit";
import { type OutboxRow, OutboxTable } from "./tables/outbox";

/** Where the events go: the webhook's shard, and the webhook (unknown to a gate that never sent for one). */
export type OutboxTarget = { env: ShardEnv; webhookId: string | null };

export class Outbox {
	readonly #table: OutboxTable;
	/** Whether an event came since the last write began: the send that added it writes it. */
	#added = false;
	#writing = false;

	constructor(sql: SqlStorage) {
		this.#table = new OutboxTable(sql);
	}

	add(event: Pending) {
		this.#table.add(event);
		this.#added = true;
	}

	/**
	 * Adds the event of the turn `change` makes of the circuit `before`, if it
	 * turns it; answers whether it did. `paused` is counted only for a turn.
	 */
	addTurn(
		before: Circuit,
		change: CircuitChange | null,
		about: { lastStatusCode: number | null; paused: () => number },
		now: number,
	) {
		const turn = turnOf(before, change);
		if (!turn) return false;
		const after = { ...before, ...change };
		this.add(circuitTurn(turn, { before, after, lastStatusCode: about.lastStatusCode, paused: about.paused() }, now));
		return true;
	}

	get added() {
		return this.#added;
	}

	/** When the alarm should next try, if anything waits. */
	nextTryAt() {
		return this.#table.nextTryAt();
	}

	/**
	 * Writes the waiting events (`now`: only those due by then, for the alarm;
	 * else all), and all again while more come meanwhile. One that fails stays,
	 * its next try later.
	 */
	async write(target: () => OutboxTarget, now?: number) {
		if (this.#writing) return;
		this.#writing = true;
		try {
			// What a send adds meanwhile is written now too, not at its try (its send could not write it while this ran).
			let due = now;
			do {
				this.#added = false;
				await this.#writeRows(target(), this.#table.rows(due));
				due = undefined;
			} while (this.#added);
		} finally {
			this.#writing = false;
		}
	}

	async #writeRows({ env, webhookId }: OutboxTarget, rows: OutboxRow[]) {
		for (const row of rows) {
			try {
				const pending = {
					eventId: row.event_id,
					type: row.type as OperationalType,
					data: JSON.parse(row.data),
					at: row.at,
				};
				// No webhook known: no tenant to tell.
				if (webhookId) await emitForWebhook(env, webhookId, pending);
				this.#table.remove(row.event_id);
			} catch (err) {
				console.error(
					JSON.stringify({ msg: "operational event not written", eventId: row.event_id, error: String(err) }),
				);
				this.#table.failed(row, Date.now());
			}
		}
	}
}
