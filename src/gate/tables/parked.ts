// The parked table: notifications that came up while the receiver was at its
// concurrency bound and could not get a slot within a moment. Each keeps the
// series and attempt it waits to make, which its release message carries, so
// the consumer knows the release from a stray duplicate. Released oldest first
// as slots free (see ./backlog.ts for what it shares with the paused table).
import { BacklogTable } from "./backlog";

export type ParkedRow = { notification_id: string; series: number; number: number };

export class ParkedTable extends BacklogTable<ParkedRow> {
	constructor(sql: SqlStorage) {
		super(sql, "parked", ", series, number");
	}

	protected isEmpty() {
		return !this.any();
	}

	/** Whether anything is parked (the first entry of the index answers it). */
	any() {
		return this.sql.exec<{ any: number }>("SELECT EXISTS (SELECT 1 FROM parked) AS any").one().any === 1;
	}

	/** Whether a parked notification waits for its release: a later send at the bound parks behind it. */
	anyUnreleased() {
		return (
			this.sql.exec<{ any: number }>("SELECT EXISTS (SELECT 1 FROM parked WHERE released_at IS NULL) AS any").one()
				.any === 1
		);
	}

	/** Keeps a notification until a slot frees; one parked again keeps its place (its id) and waits to be released again. */
	park(notificationId: string, attempt: { series: number; number: number }, now: number) {
		this.added();
		this.sql.exec(
			`INSERT INTO parked (notification_id, series, number, parked_at) VALUES (?, ?, ?, ?)
			 ON CONFLICT (notification_id) DO UPDATE SET series = excluded.series, number = excluded.number, released_at = NULL`,
			notificationId,
			attempt.series,
			attempt.number,
			now,
		);
	}

	/** Up to `limit` to release now, in release order, with the attempt each waits to make. */
	releasable(now: number, limit: number) {
		return this.releasableRows(now, limit);
	}
}
