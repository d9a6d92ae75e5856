// Expired history for the purge phase of `npm run bench:capacity`: copies of
// the rows the steady load wrote (the same sizes, the same mix of statuses,
// attempts and idempotency keys), moved `ageMs` into the past, written with
// Node's SQLite straight into each shard's file while Hookline is stopped.
// Every copy gets ids of its own: a notification's and an attempt's are
// time-ordered ids of their backdated time, as Hookline's are.
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { ulid } from "ulid";
import { shardFiles } from "./footprint.ts";

type Row = Record<string, SQLInputValue>;

/** Every row of `table`. */
const rowsOf = (db: DatabaseSync, table: string) => db.prepare(`SELECT * FROM ${table}`).all() as Row[];

/** An INSERT for rows shaped like `sample`. */
const inserter = (db: DatabaseSync, table: string, sample: Row) => {
	const columns = Object.keys(sample);
	const statement = db.prepare(
		`INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
	);
	return (row: Row) => statement.run(...columns.map((c) => row[c] ?? null));
};

type Value = SQLInputValue | undefined;

/** A time moved `by` ms into the past; anything else (a null time) as it is. */
const earlier = (value: Value, by: number) => (typeof value === "number" ? value - by : (value ?? null));

/** Writes `copies` backdated copies of one shard's history; answers the notifications written. */
const backdateShard = (file: string, copies: number, ageMs: number) => {
	const db = new DatabaseSync(file);
	try {
		const events = rowsOf(db, "events");
		const notifications = rowsOf(db, "notifications");
		const attempts = rowsOf(db, "attempts");
		const keys = rowsOf(db, "ingest_keys");
		if (notifications.length === 0) return 0;
		const insert = {
			event: inserter(db, "events", events[0] as Row),
			notification: inserter(db, "notifications", notifications[0] as Row),
			attempt: attempts.length > 0 ? inserter(db, "attempts", attempts[0] as Row) : () => undefined,
			key: keys.length > 0 ? inserter(db, "ingest_keys", keys[0] as Row) : () => undefined,
		};
		db.exec("BEGIN");
		for (let k = 1; k <= copies; k++) {
			// A second apart per copy, so the copies of one row do not share a time.
			const age = ageMs + k * 1000;
			const eventId = (id: Value) => `${String(id)}~${k}`;
			for (const e of events) {
				insert.event({
					...e,
					id: eventId(e.id),
					occurred_at: earlier(e.occurred_at, age),
					received_at: earlier(e.received_at, age),
				});
			}
			const notificationIds = new Map<Value, string>();
			for (const n of notifications) {
				const id = `ntf_${ulid(Number(n.created_at) - age)}`;
				notificationIds.set(n.id, id);
				insert.notification({
					...n,
					id,
					event_id: eventId(n.event_id),
					created_at: earlier(n.created_at, age),
					updated_at: earlier(n.updated_at, age),
					delivered_at: earlier(n.delivered_at, age),
					next_attempt_at: earlier(n.next_attempt_at, age),
				});
			}
			for (const a of attempts) {
				insert.attempt({
					...a,
					id: `att_${ulid(Number(a.started_at) - age)}`,
					notification_id: notificationIds.get(a.notification_id) ?? null,
					started_at: earlier(a.started_at, age),
				});
			}
			for (const key of keys) {
				insert.key({
					...key,
					key: `${String(key.key)}~${k}`,
					event_id: eventId(key.event_id),
					created_at: earlier(key.created_at, age),
				});
			}
		}
		db.exec("COMMIT");
		return notifications.length * copies;
	} finally {
		db.close();
	}
};

/**
 * Backdated copies of every shard's history, as many rounds of copies as make
 * at least `target` notifications in all; answers how many went to each shard.
 */
export const backdateHistory = (state: string, target: number, ageMs: number) => {
	const files = shardFiles(state);
	const live = files.map(({ file }) => {
		const db = new DatabaseSync(file);
		try {
			return Number(db.prepare("SELECT count(*) AS n FROM notifications").get()?.n ?? 0);
		} finally {
			db.close();
		}
	});
	const copies = Math.max(
		1,
		Math.ceil(
			target /
				Math.max(
					1,
					live.reduce((a, b) => a + b, 0),
				),
		),
	);
	return Object.fromEntries(files.map(({ file, shard }) => [shard, backdateShard(file, copies, ageMs)]));
};

/** Rows of each shard older than `before` (what a purge has yet to remove). */
export const expiredLeft = (state: string, before: number) =>
	Object.fromEntries(
		shardFiles(state).map(({ file, shard }) => {
			const db = new DatabaseSync(file);
			try {
				const count = (sql: string) => Number(db.prepare(sql).get(before)?.n ?? 0);
				return [
					shard,
					{
						notifications: count("SELECT count(*) AS n FROM notifications WHERE updated_at < ?"),
						events: count("SELECT count(*) AS n FROM events WHERE received_at < ?"),
					},
				];
			} finally {
				db.close();
			}
		}),
	);
