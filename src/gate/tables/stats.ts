// The stats table: per-minute attempt counts and latency histograms (../stats.ts
// counts and reads them). Attempts are gathered in memory and written at most
// every STATS_FLUSH_MS and before every read, so a send costs no stats write;
// what an evicted instance had not written is lost (statistics only).
import {
	emptyMinute,
	type HourStats,
	hourlySeries,
	hourlyStart,
	type MinuteStats,
	mergeHistograms,
	minuteOf,
	STATS_KEEP_MINUTES,
	type WindowStats,
	windowStart,
	windowStats,
	withAttempt,
} from "../stats";

/** How often a busy gate writes its statistics. */
const STATS_FLUSH_MS = 2000;

type StatsRow = { attempts: number; succeeded: number; histogram: string };

export class StatsTable {
	/** Attempts not yet written, by minute. */
	#unflushed = new Map<number, MinuteStats>();
	#flushedAt = 0;

	constructor(private readonly sql: SqlStorage) {}

	/** Counts an attempt that started at `startedAt`. */
	record(succeeded: boolean, durationMs: number, startedAt: number, now = Date.now()) {
		const minute = minuteOf(startedAt);
		this.#unflushed.set(minute, withAttempt(this.#unflushed.get(minute) ?? emptyMinute(), succeeded, durationMs));
		if (now - this.#flushedAt >= STATS_FLUSH_MS) this.flush(now);
	}

	/** Writes what was gathered, and drops minutes older than STATS_KEEP_MINUTES. */
	flush(now = Date.now()) {
		this.#flushedAt = now;
		if (this.#unflushed.size === 0) return;
		for (const [minute, gathered] of this.#unflushed) {
			const row = this.sql
				.exec<{ histogram: string }>("SELECT histogram FROM stats WHERE minute = ?", minute)
				.toArray()[0];
			const stored = row ? (JSON.parse(row.histogram) as number[]) : [];
			this.sql.exec(
				`INSERT INTO stats (minute, attempts, succeeded, histogram) VALUES (?, ?, ?, ?)
				 ON CONFLICT (minute) DO UPDATE SET attempts = attempts + excluded.attempts,
				   succeeded = succeeded + excluded.succeeded, histogram = excluded.histogram`,
				minute,
				gathered.attempts,
				gathered.succeeded,
				JSON.stringify(mergeHistograms(gathered.histogram, stored)),
			);
		}
		const newest = Math.max(...this.#unflushed.keys());
		this.#unflushed.clear();
		this.sql.exec("DELETE FROM stats WHERE minute < ?", newest - STATS_KEEP_MINUTES);
	}

	/** The last `minutes` up to `now`. */
	window(minutes: number, now: number): WindowStats {
		this.flush();
		const rows = this.sql
			.exec<StatsRow>("SELECT attempts, succeeded, histogram FROM stats WHERE minute > ?", windowStart(minutes, now))
			.toArray();
		return windowStats(rows.map((r) => ({ ...r, histogram: JSON.parse(r.histogram) as number[] })));
	}

	/** Attempts per hour over the last 24 hours, oldest first. */
	hourly(now: number): HourStats[] {
		this.flush();
		const hours = this.sql
			.exec<{ hour: number } & HourStats>(
				"SELECT minute / 60 AS hour, sum(attempts) AS attempts, sum(succeeded) AS succeeded FROM stats WHERE minute >= ? GROUP BY hour",
				hourlyStart(now),
			)
			.toArray();
		return hourlySeries(hours, now);
	}
}
