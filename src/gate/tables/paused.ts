// The paused table: notifications that wait in the gate while the circuit is
// open, and what was released of them (../paused.ts says what to release and
// when). A released one stays until it is sent, so a lost release goes again.
// Every read is indexed or counted ahead (migration step 5: the release-order
// index and the counts its triggers keep), so a send or a release round costs
// what it touches, however large the backlog.
import { lostReleaseCutoff, MAX_RELEASES, type PausedSummary } from "../paused";

export class PausedTable {
	/** Known empty after a look, until something is paused: a healthy gate's sends never touch the table. */
	#knownEmpty = false;

	constructor(private readonly sql: SqlStorage) {}

	/** How many wait, from the counts the triggers keep. */
	count() {
		return this.sql.exec<{ waiting: number }>("SELECT waiting FROM paused_count").one().waiting;
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
		this.sql.exec("DELETE FROM paused WHERE notification_id = ?", notificationId);
		this.#knownEmpty = this.count() === 0;
	}

	/** The webhook is disabled: what waited is skipped in D1 by the caller, nothing waits here. */
	clear() {
		this.sql.exec("DELETE FROM paused");
		this.#knownEmpty = true;
	}

	/**
	 * Up to `limit` to release now: the oldest never released first (ids sort
	 * by creation time), then lost releases (released before the cutoff and
	 * still here), the longest lost first. A lost one released MAX_RELEASES
	 * times without a send is dropped when its turn comes; the sweeper's safety
	 * net still has it in D1.
	 */
	releasable(now: number, limit: number) {
		const unreleased = this.sql
			.exec<{ notification_id: string }>(
				"SELECT notification_id FROM paused WHERE released_at IS NULL ORDER BY notification_id LIMIT ?",
				limit,
			)
			.toArray()
			.map((r) => r.notification_id);
		if (unreleased.length === limit) return unreleased;
		const lost = this.sql
			.exec<{ notification_id: string; releases: number }>(
				"SELECT notification_id, releases FROM paused WHERE released_at < ? ORDER BY released_at, notification_id LIMIT ?",
				lostReleaseCutoff(now),
				limit - unreleased.length,
			)
			.toArray();
		const again: string[] = [];
		for (const { notification_id: id, releases } of lost) {
			if (releases < MAX_RELEASES) again.push(id);
			else this.sql.exec("DELETE FROM paused WHERE notification_id = ?", id);
		}
		return unreleased.concat(again);
	}

	released(ids: string[], now: number) {
		for (const id of ids)
			this.sql.exec("UPDATE paused SET released_at = ?, releases = releases + 1 WHERE notification_id = ?", now, id);
	}

	summary(): PausedSummary {
		const { unreleased } = this.sql.exec<{ unreleased: number }>("SELECT unreleased FROM paused_count").one();
		const { oldestRelease } = this.sql
			.exec<{ oldestRelease: number | null }>("SELECT min(released_at) AS oldestRelease FROM paused")
			.one();
		return { unreleased, oldestRelease };
	}
}
