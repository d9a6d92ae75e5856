// The paused table: notifications that wait in the gate while the circuit is
// open, and what was released of them (../paused.ts says what to release and
// when; ./backlog.ts what the paused and parked tables share). Its counts are
// kept ahead by triggers (migration step 5), so a send, the health route and
// the alarm never count the backlog.
import type { PausedSummary } from "../paused";
import { BacklogTable } from "./backlog";

export class PausedTable extends BacklogTable<{ notification_id: string }> {
	constructor(sql: SqlStorage) {
		super(sql, "paused", "");
	}

	/** How many wait, from the counts the triggers keep. */
	count() {
		return this.sql.exec<{ waiting: number }>("SELECT waiting FROM paused_count").one().waiting;
	}

	protected isEmpty() {
		return this.count() === 0;
	}

	/** Keeps a notification until the circuit lets it go; one paused again waits to be released again. */
	pause(notificationId: string, now: number) {
		this.added();
		this.sql.exec(
			`INSERT INTO paused (notification_id, paused_at) VALUES (?, ?)
			 ON CONFLICT (notification_id) DO UPDATE SET released_at = NULL`,
			notificationId,
			now,
		);
	}

	/** Up to `limit` ids to release now, in release order (see BacklogTable). */
	releasable(now: number, limit: number) {
		return this.releasableRows(now, limit).map((r) => r.notification_id);
	}

	summary(): PausedSummary {
		const { unreleased } = this.sql.exec<{ unreleased: number }>("SELECT unreleased FROM paused_count").one();
		const { oldestRelease } = this.sql
			.exec<{ oldestRelease: number | null }>("SELECT min(released_at) AS oldestRelease FROM paused")
			.one();
		return { unreleased, oldestRelease };
	}
}
