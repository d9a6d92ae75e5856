// What the paused and parked tables share: notifications that wait in the
// gate and go back through the queue when their turn comes. A released one
// stays until it is sent, so a lost release goes again (../paused.ts says
// when a release counts as lost). Each table is indexed on (released_at,
// notification_id), so a round reads what it releases, however long the list.
import { lostReleaseCutoff, MAX_RELEASES } from "../paused";

type Released = { notification_id: string; releases: number };

export abstract class BacklogTable<Row extends { notification_id: string }> {
	/** Known empty after a look, until something is added: a healthy gate's sends never touch the table. */
	#knownEmpty = false;

	constructor(
		protected readonly sql: SqlStorage,
		/** The table, and the columns a release needs besides the id: fixed names, never input. */
		private readonly table: "paused" | "parked",
		private readonly columns: string,
	) {}

	/** Whether nothing waits, read cheaply (a count kept ahead, or the first index entry). */
	protected abstract isEmpty(): boolean;

	/** Something was added: the table is worth looking at again. */
	protected added() {
		this.#knownEmpty = false;
	}

	/** The notification is being sent (or now waits for another reason): it no longer waits here. */
	remove(notificationId: string) {
		if (this.#knownEmpty) return;
		this.sql.exec(`DELETE FROM ${this.table} WHERE notification_id = ?`, notificationId);
		this.#knownEmpty = this.isEmpty();
	}

	/** Nothing waits here any more (the webhook is disabled). */
	clear() {
		this.sql.exec(`DELETE FROM ${this.table}`);
		this.#knownEmpty = true;
	}

	/**
	 * Up to `limit` to release now: the oldest never released first (ids sort
	 * by creation time), then lost releases (released before the cutoff and
	 * still here), the longest lost first. A lost one released MAX_RELEASES
	 * times without a send is dropped when its turn comes; the sweeper's safety
	 * net still has it in D1.
	 */
	protected releasableRows(now: number, limit: number): Row[] {
		if (this.#knownEmpty || limit <= 0) return [];
		const unreleased = this.sql
			.exec<Row>(
				`SELECT notification_id${this.columns} FROM ${this.table} WHERE released_at IS NULL
				 ORDER BY notification_id LIMIT ?`,
				limit,
			)
			.toArray();
		if (unreleased.length === limit) return unreleased;
		const lost = this.sql
			.exec<Row & Released>(
				`SELECT notification_id, releases${this.columns} FROM ${this.table} WHERE released_at < ?
				 ORDER BY released_at, notification_id LIMIT ?`,
				lostReleaseCutoff(now),
				limit - unreleased.length,
			)
			.toArray();
		const again: Row[] = [];
		for (const { releases, ...row } of lost) {
			if (releases < MAX_RELEASES) again.push(row as unknown as Row);
			else this.sql.exec(`DELETE FROM ${this.table} WHERE notification_id = ?`, row.notification_id);
		}
		return unreleased.concat(again);
	}

	released(ids: string[], now: number) {
		for (const id of ids)
			this.sql.exec(
				`UPDATE ${this.table} SET released_at = ?, releases = releases + 1 WHERE notification_id = ?`,
				now,
				id,
			);
	}
}
