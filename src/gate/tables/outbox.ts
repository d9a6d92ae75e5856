// The outbox: operational events the gate decided (its circuit opened or
// closed) and has not yet written to the webhook's history shard. A row is
// written with the circuit's change, so the event survives a failed write or
// a restart; the gate writes it at once, and its alarm tries again later. A
// handful of rows at most: one per turn of the circuit not yet written.

export type OutboxRow = {
	event_id: string;
	type: string;
	/** The event's data as JSON, without the webhook (added from D1 when it is written). */
	data: string;
	at: number;
	tries: number;
	next_try_at: number;
};

/** The first look of the alarm at a row (the gate writes it at once; this is the safety net), and the longest wait after failures. */
const FIRST_RETRY_MS = 30_000;
const MAX_RETRY_MS = 600_000;

export class OutboxTable {
	constructor(private readonly sql: SqlStorage) {}

	add(row: { eventId: string; type: string; data: unknown; at: number }) {
		this.sql.exec(
			"INSERT INTO outbox (event_id, type, data, at, tries, next_try_at) VALUES (?, ?, ?, ?, 0, ?)",
			row.eventId,
			row.type,
			JSON.stringify(row.data),
			row.at,
			row.at + FIRST_RETRY_MS,
		);
	}

	/** Every row, oldest first; `now`: only those due by then. */
	rows(now?: number): OutboxRow[] {
		return now === undefined
			? this.sql.exec<OutboxRow>("SELECT * FROM outbox ORDER BY at").toArray()
			: this.sql.exec<OutboxRow>("SELECT * FROM outbox WHERE next_try_at <= ? ORDER BY at", now).toArray();
	}

	remove(eventId: string) {
		this.sql.exec("DELETE FROM outbox WHERE event_id = ?", eventId);
	}

	/** A failed write: the next try after a wait that doubles with each failure. */
	failed(row: OutboxRow, now: number) {
		const wait = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** row.tries);
		this.sql.exec("UPDATE outbox SET tries = tries + 1, next_try_at = ? WHERE event_id = ?", now + wait, row.event_id);
	}

	/** When the alarm should next look, if anything waits. */
	nextTryAt(): number | undefined {
		const row = this.sql.exec<{ at: number | null }>("SELECT min(next_try_at) AS at FROM outbox").one();
		return row.at ?? undefined;
	}

	any() {
		return this.sql.exec("SELECT 1 FROM outbox LIMIT 1").toArray().length > 0;
	}
}
