// The gate's SQLite schema as numbered steps, each run once and recorded in
// schema_version, so a start reads one number instead of re-creating tables.
// A store made before versions were recorded is recognised by its shape and
// carried on from the step it had reached; nothing in it is lost.
//
// Never change or reorder a step that has shipped: add the next one.

type Step = (sql: SqlStorage) => void;

const STEPS: readonly Step[] = [
	// 1. The ledger: per notification, the last attempt and whether the series succeeded.
	(sql) => {
		sql.exec(`CREATE TABLE ledger (
			notification_id TEXT PRIMARY KEY,
			series INTEGER NOT NULL,
			last_number INTEGER NOT NULL,
			state TEXT NOT NULL,
			lease_until INTEGER,
			last_attempt TEXT,
			updated_at INTEGER NOT NULL
		)`);
		sql.exec("CREATE INDEX ledger_updated ON ledger (updated_at)");
	},
	// 2. The ledger keeps the request first sent: retries send it byte for byte.
	(sql) => {
		sql.exec("ALTER TABLE ledger ADD COLUMN request TEXT");
	},
	// 3. Endpoint health: the circuit (one row), the paused backlog, per-minute statistics.
	(sql) => {
		sql.exec(`CREATE TABLE circuit (
			id INTEGER PRIMARY KEY CHECK (id = 1),
			state TEXT NOT NULL,
			consecutive_failures INTEGER NOT NULL,
			opened_at INTEGER,
			cool_down_ms INTEGER NOT NULL,
			next_probe_at INTEGER,
			probe_id TEXT,
			probe_lease_until INTEGER,
			last_success_at INTEGER,
			last_failure_at INTEGER,
			last_error TEXT,
			next_send_at INTEGER NOT NULL,
			webhook_id TEXT,
			disable_after_ms INTEGER NOT NULL,
			disabled_at INTEGER
		)`);
		sql.exec("CREATE TABLE paused (notification_id TEXT PRIMARY KEY, paused_at INTEGER NOT NULL)");
		sql.exec(
			"CREATE TABLE stats (minute INTEGER PRIMARY KEY, attempts INTEGER NOT NULL, succeeded INTEGER NOT NULL, histogram TEXT NOT NULL)",
		);
	},
	// 4. A released notification stays paused until it is sent, so a lost release message is released again.
	(sql) => {
		sql.exec("ALTER TABLE paused ADD COLUMN released_at INTEGER");
		sql.exec("ALTER TABLE paused ADD COLUMN releases INTEGER NOT NULL DEFAULT 0");
	},
	// 5. The paused backlog read in proportion to what is released, not to its size: an index in
	// release order (never released first, by id; then by release time), and its counts kept by
	// triggers on every change, counted once here from what the store already holds.
	(sql) => {
		sql.exec("CREATE INDEX paused_release ON paused (released_at, notification_id)");
		sql.exec(`CREATE TABLE paused_count (
			id INTEGER PRIMARY KEY CHECK (id = 1),
			waiting INTEGER NOT NULL,
			unreleased INTEGER NOT NULL
		)`);
		sql.exec(`INSERT INTO paused_count (id, waiting, unreleased)
			SELECT 1, count(*), count(*) FILTER (WHERE released_at IS NULL) FROM paused`);
		sql.exec(`CREATE TRIGGER paused_added AFTER INSERT ON paused BEGIN
			UPDATE paused_count SET waiting = waiting + 1, unreleased = unreleased + (NEW.released_at IS NULL);
		END`);
		sql.exec(`CREATE TRIGGER paused_removed AFTER DELETE ON paused BEGIN
			UPDATE paused_count SET waiting = waiting - 1, unreleased = unreleased - (OLD.released_at IS NULL);
		END`);
		sql.exec(`CREATE TRIGGER paused_released AFTER UPDATE OF released_at ON paused BEGIN
			UPDATE paused_count SET unreleased = unreleased + (NEW.released_at IS NULL) - (OLD.released_at IS NULL);
		END`);
	},
	// 6. The parked backlog: notifications that met the concurrency bound wait here, with the attempt
	// each waits to make, and are released oldest first as slots free.
	(sql) => {
		sql.exec(`CREATE TABLE parked (
			notification_id TEXT PRIMARY KEY,
			series INTEGER NOT NULL,
			number INTEGER NOT NULL,
			parked_at INTEGER NOT NULL,
			released_at INTEGER,
			releases INTEGER NOT NULL DEFAULT 0
		)`);
		sql.exec("CREATE INDEX parked_release ON parked (released_at, notification_id)");
	},
	(sql) => {
		// The webhook's history shard, kept like its id, for the alarm's disable and the releases.
		sql.exec("ALTER TABLE circuit ADD COLUMN shard TEXT");
	},
	// 8. The outbox: operational events of the circuit (opened, closed) until they are written to D1.
	(sql) => {
		sql.exec(`CREATE TABLE outbox (
			event_id TEXT PRIMARY KEY,
			type TEXT NOT NULL,
			data TEXT NOT NULL,
			at INTEGER NOT NULL,
			tries INTEGER NOT NULL DEFAULT 0,
			next_try_at INTEGER NOT NULL
		)`);
	},
];

/** The version a store has once every step ran. */
export const SCHEMA_VERSION = STEPS.length;

const tableExists = (sql: SqlStorage, name: string) =>
	sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", name).toArray().length > 0;

const hasColumn = (sql: SqlStorage, table: string, column: string) =>
	sql.exec("SELECT 1 FROM pragma_table_info(?) WHERE name = ?", table, column).toArray().length > 0;

/**
 * The step a store made before versions were recorded had reached, read from
 * its shape: each step left a table or column the one before did not have.
 * (The code of that time created its tables on every start and added the
 * paused columns when they were missing, so its stores are at one of these.)
 */
const unversionedVersion = (sql: SqlStorage) => {
	if (!tableExists(sql, "ledger")) return 0;
	if (!hasColumn(sql, "ledger", "request")) return 1;
	if (!tableExists(sql, "circuit")) return 2;
	if (!hasColumn(sql, "paused", "released_at")) return 3;
	return 4;
};

/**
 * Brings the store up to SCHEMA_VERSION: each missing step in its own
 * transaction with the version it reaches, so a failed step leaves the store
 * at the last good version and the next start takes it from there.
 */
export const migrate = (storage: DurableObjectStorage) => {
	const sql = storage.sql;
	let version: number;
	if (tableExists(sql, "schema_version")) {
		version = sql.exec<{ version: number }>("SELECT version FROM schema_version").one().version;
	} else {
		version = unversionedVersion(sql);
		storage.transactionSync(() => {
			sql.exec("CREATE TABLE schema_version (version INTEGER NOT NULL)");
			sql.exec("INSERT INTO schema_version (version) VALUES (?)", version);
		});
	}
	for (let done = version; done < STEPS.length; done++) {
		const step = STEPS[done] as Step;
		storage.transactionSync(() => {
			step(sql);
			sql.exec("UPDATE schema_version SET version = ?", done + 1);
		});
	}
};
