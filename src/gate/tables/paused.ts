// The paused table: notifications that wait in the gate while the circuit is
// open, and what was released of them (../paused.ts says what to release and
// when). A released one stays until it is sent, so a lost release goes again.
import { lostReleaseCutoff, MAX_RELEASES, type PausedSummary } from "../paused";

export class PausedTable {
	/** Known empty after a look, until something is paused: a healthy gate's sends never touch the table. */
	#knownEmpty = false;

	constructor(private readonly sql: SqlStorage) {}

	count() {
		return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM paused").one().n;
	}

	/** Keeps a notification until the circuit lets it go; one paused again waits to be released again. */
	pause(notificationId: string, now: number) {
		this.#knownEmpty = false;
		this.sql.exec(
			`INSERT INTO paused (notification_id, paused_at) VALUES (?, ?)
			 ON CONFLICT (notification_id) DO UPDATE SET released_at = NULL`,
			notificationId,
			now,
		);
	}

	/** The notification is being sent: it no longer waits. */
	remove(notificationId: string) {
		if (this.#knownEmpty) return;
		this.#knownEmpty = this.count() === 0;
		if (!this.#knownEmpty) this.sql.exec("DELETE FROM paused WHERE notification_id = ?", notificationId);
	}

	/** The webhook is disabled: what waited is skipped in D1 by the caller, nothing waits here. */
	clear() {
		this.sql.exec("DELETE FROM paused");
		this.#knownEmpty = true;
	}

	/**
	 * Up to `limit` to release now, oldest first, never-released ones before
	 * lost releases (released before the cutoff and still here). One released
	 * MAX_RELEASES times without a send is dropped first; the sweeper's safety
	 * net still has it in D1.
	 */
	releasable(now: number, limit: number) {
		const cutoff = lostReleaseCutoff(now);
		this.sql.exec("DELETE FROM paused WHERE releases >= ? AND released_at < ?", MAX_RELEASES, cutoff);
		return this.sql
			.exec<{ notification_id: string }>(
				`SELECT notification_id FROM paused WHERE released_at IS NULL OR released_at < ?
				 ORDER BY released_at IS NOT NULL, notification_id LIMIT ?`,
				cutoff,
				limit,
			)
			.toArray()
			.map((r) => r.notification_id);
	}

	released(ids: string[], now: number) {
		for (const id of ids)
			this.sql.exec("UPDATE paused SET released_at = ?, releases = releases + 1 WHERE notification_id = ?", now, id);
	}

	summary(): PausedSummary {
		return this.sql
			.exec<PausedSummary>(
				"SELECT count(*) FILTER (WHERE released_at IS NULL) AS unreleased, min(released_at) AS oldestRelease FROM paused",
			)
			.one();
	}
}
