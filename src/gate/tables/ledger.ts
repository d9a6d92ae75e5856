// The ledger table: what the gate remembers per notification (../ledger.ts
// decides with it). Rows are written when a send starts and when it ends, and
// old ones are swept, so the table is bounded by the work in flight.
import type { StoredRequest } from "../../attempt/request";
import type { GateRecord } from "../contract";
import type { LedgerEntry, LedgerState } from "../ledger";

type LedgerRow = {
	series: number;
	last_number: number;
	state: LedgerState;
	lease_until: number | null;
	last_attempt: string | null;
	request: string | null;
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
			lastAttempt: row.last_attempt ? (JSON.parse(row.last_attempt) as GateRecord) : null,
			request: row.request ? (JSON.parse(row.request) as StoredRequest) : null,
		};
	}

	/** A send starts: the notification is held until `leaseUntil`, with the request it sends. */
	hold(
		notificationId: string,
		attempt: { series: number; number: number; leaseUntil: number; request: StoredRequest },
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
			JSON.stringify(attempt.request),
			now,
		);
	}

	/**
	 * A send ended: its record, delivered or attempted. Only while the entry is
	 * still of this series, so an older send never overwrites a newer re-send's.
	 */
	settle(notificationId: string, series: number, record: GateRecord, now: number) {
		this.sql.exec(
			"UPDATE ledger SET state = ?, lease_until = NULL, last_attempt = ?, updated_at = ? WHERE notification_id = ? AND series = ?",
			record.outcome.succeeded ? "delivered" : "attempted",
			JSON.stringify(record),
			now,
			notificationId,
			series,
		);
	}

	/** Drops up to `limit` rows untouched since `before`; answers how many went. */
	sweep(before: number, limit: number) {
		return this.sql.exec(
			"DELETE FROM ledger WHERE notification_id IN (SELECT notification_id FROM ledger WHERE updated_at < ? LIMIT ?)",
			before,
			limit,
		).rowsWritten;
	}
}
