// The ledger table: what the gate remembers per notification (../ledger.ts
// decides with it). Rows are written when a send starts and when it ends, and
// dropped LEDGER_KEEP_MS after their last write, so the table is bounded by the
// work of the last hour. The request is stored once, in its own column, and
// only while D1 may not hold it; an attempt's record keeps the URL it went to.
import type { StoredRequest } from "../../attempt/request";
import {
	LEDGER_KEEP_MS,
	LEDGER_SWEEP_ROWS,
	type LedgerEntry,
	type LedgerState,
	type SettledAttempt,
	sweepDue,
	sweptAtAfter,
} from "../ledger";

type LedgerRow = {
	series: number;
	last_number: number;
	state: LedgerState;
	lease_until: number | null;
	last_attempt: string | null;
	request: string | null;
};

/** A stored attempt; one written before the request was kept once carries it inside, and its URL there. */
const settledFrom = (json: string): SettledAttempt => {
	const { request, ...stored } = JSON.parse(json) as SettledAttempt & { request?: StoredRequest };
	return { ...stored, url: stored.url ?? request?.url ?? "" };
};

export class LedgerTable {
	constructor(private readonly sql: SqlStorage) {}

	read(notificationId: string): LedgerEntry | undefined {
		const row = this.sql
			.exec<LedgerRow>(
				"SELECT series, last_number, state, lease_until, last_attempt, request FROM ledger WHERE notification_id = ?",
				notificationId,
			)
			.toArray()[0];
		if (!row) return undefined;
		return {
			series: row.series,
			lastNumber: row.last_number,
			state: row.state,
			leaseUntil: row.lease_until,
			lastAttempt: row.last_attempt ? settledFrom(row.last_attempt) : null,
			request: row.request ? (JSON.parse(row.request) as StoredRequest) : null,
		};
	}

	/**
	 * A send starts: the notification is held until `leaseUntil`. `request` is
	 * the request first sent, while D1 may not hold it; null once it does.
	 */
	hold(
		notificationId: string,
		attempt: { series: number; number: number; leaseUntil: number; request: StoredRequest | null },
		now: number,
	) {
		this.sql.exec(
			`INSERT INTO ledger (notification_id, series, last_number, state, lease_until, last_attempt, request, updated_at)
			 VALUES (?, ?, ?, 'inflight', ?, NULL, ?, ?)
			 ON CONFLICT (notification_id) DO UPDATE SET series = excluded.series, last_number = excluded.last_number,
			   state = 'inflight', lease_until = excluded.lease_until, request = excluded.request, updated_at = excluded.updated_at`,
			notificationId,
			attempt.series,
			attempt.number,
			attempt.leaseUntil,
			attempt.request && JSON.stringify(attempt.request),
			now,
		);
	}

	/**
	 * A send ended: its record, delivered or attempted. Only while the entry is
	 * still of this series, so an older send never overwrites a newer re-send's.
	 */
	settle(notificationId: string, series: number, attempt: SettledAttempt, now: number) {
		this.sql.exec(
			"UPDATE ledger SET state = ?, lease_until = NULL, last_attempt = ?, updated_at = ? WHERE notification_id = ? AND series = ?",
			attempt.outcome.succeeded ? "delivered" : "attempted",
			JSON.stringify(attempt),
			now,
			notificationId,
			series,
		);
	}

	/** Drops up to `limit` rows last written before `before`; answers how many went. */
	sweep(before: number, limit: number) {
		return this.sql
			.exec(
				`DELETE FROM ledger WHERE notification_id IN (SELECT notification_id FROM ledger WHERE updated_at < ? LIMIT ?)
				 RETURNING 1`,
				before,
				limit,
			)
			.toArray().length;
	}

	/** The oldest row's last write (the index on updated_at answers it), or null when the ledger is empty. */
	oldestWrite() {
		return this.sql.exec<{ at: number | null }>("SELECT min(updated_at) AS at FROM ledger").one().at;
	}

	#sweptAt = 0;

	/**
	 * Expired rows go in rounds: on sends once a minute, or at once after a full
	 * round; from the alarm up to `rounds` in a row. Answers whether the last
	 * round was full (more are waiting).
	 */
	sweepExpired(now: number, rounds = 1) {
		if (rounds === 1 && !sweepDue(this.#sweptAt, now)) return false;
		let dropped = 0;
		for (let round = 0; round < rounds; round++) {
			dropped = this.sweep(now - LEDGER_KEEP_MS, LEDGER_SWEEP_ROWS);
			if (dropped < LEDGER_SWEEP_ROWS) break;
		}
		this.#sweptAt = sweptAtAfter(dropped, now);
		return dropped >= LEDGER_SWEEP_ROWS;
	}
}
