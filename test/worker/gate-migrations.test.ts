// The gate's schema versions: a new gate starts at the current version, and a
// store made before versions were recorded (by the code that created its
// tables on every start) is recognised by its shape, carried to the current
// version and keeps every row. Old stores are built in a gate's own storage,
// and the gate is restarted (state.abort) so its constructor meets them.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { EndpointGate } from "../../src/gate";
import { SCHEMA_VERSION } from "../../src/gate/tables/migrations";
import { gateInput, gateOf, gateSend, uniqueTag } from "./helpers";

type Gate = DurableObjectStub<EndpointGate>;

const TABLES = ["ledger", "circuit", "paused", "stats"] as const;

/** The schema as the code before versions made it on every start, statement for statement. */
const unversionedSchema = (sql: SqlStorage, { pausedReleaseColumns = true } = {}) => {
	sql.exec(`CREATE TABLE IF NOT EXISTS ledger (
		notification_id TEXT PRIMARY KEY,
		series INTEGER NOT NULL,
		last_number INTEGER NOT NULL,
		state TEXT NOT NULL,
		lease_until INTEGER,
		last_attempt TEXT,
		request TEXT,
		updated_at INTEGER NOT NULL
	)`);
	sql.exec("CREATE INDEX IF NOT EXISTS ledger_updated ON ledger (updated_at)");
	sql.exec(`CREATE TABLE IF NOT EXISTS circuit (
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
	sql.exec("CREATE TABLE IF NOT EXISTS paused (notification_id TEXT PRIMARY KEY, paused_at INTEGER NOT NULL)");
	// Before these columns existed the paused table had only the two above.
	if (pausedReleaseColumns)
		for (const column of ["released_at INTEGER", "releases INTEGER NOT NULL DEFAULT 0"])
			sql.exec(`ALTER TABLE paused ADD COLUMN ${column}`);
	sql.exec(
		"CREATE TABLE IF NOT EXISTS stats (minute INTEGER PRIMARY KEY, attempts INTEGER NOT NULL, succeeded INTEGER NOT NULL, histogram TEXT NOT NULL)",
	);
};

/** The gate's storage emptied of its tables, as before a gate ever ran. */
const dropAll = (sql: SqlStorage) => {
	for (const table of ["schema_version", "paused_count", "parked", "outbox", ...TABLES])
		sql.exec(`DROP TABLE IF EXISTS ${table}`);
};

/** A delivered notification, an open circuit, a paused notification and a minute of statistics. */
const seedRows = (sql: SqlStorage, webhookId: string, now: number, { pausedReleaseColumns = true } = {}) => {
	const request = { method: "POST", url: "https://receiver.test/hook", headers: {}, body: "{}" };
	const record = {
		attemptId: "att_old",
		number: 1,
		startedAt: now - 5000,
		outcome: { succeeded: true, statusCode: 200, errorKind: null, error: null, responseExcerpt: "", durationMs: 12 },
		request,
	};
	sql.exec(
		`INSERT INTO ledger (notification_id, series, last_number, state, lease_until, last_attempt, request, updated_at)
		 VALUES ('ntf_old', 0, 1, 'delivered', NULL, ?, ?, ?)`,
		JSON.stringify(record),
		JSON.stringify(request),
		now - 5000,
	);
	sql.exec(
		`INSERT INTO circuit (id, state, consecutive_failures, opened_at, cool_down_ms, next_probe_at, last_error, next_send_at, webhook_id, disable_after_ms)
		 VALUES (1, 'open', 3, ?, 30000, ?, 'HTTP 500', ?, ?, 432000000)`,
		now - 1000,
		now + 29_000,
		now - 60_000,
		webhookId,
	);
	sql.exec("INSERT INTO paused (notification_id, paused_at) VALUES ('ntf_waits', ?)", now - 500);
	if (pausedReleaseColumns)
		sql.exec(
			"INSERT INTO paused (notification_id, paused_at, released_at, releases) VALUES ('ntf_lost', ?, ?, 2)",
			now,
			now,
		);
	sql.exec(
		"INSERT INTO stats (minute, attempts, succeeded, histogram) VALUES (?, 4, 1, ?)",
		Math.floor(now / 60_000),
		JSON.stringify([0, 0, 1, 3]),
	);
};

/** Every row of the gate's tables, to compare before and after. */
const dump = (gate: Gate) =>
	runInDurableObject(gate, (_i: EndpointGate, state) =>
		Object.fromEntries(TABLES.map((t) => [t, state.storage.sql.exec(`SELECT * FROM ${t}`).toArray()])),
	);

const versionOf = (gate: Gate) =>
	runInDurableObject(gate, (_i: EndpointGate, state) =>
		state.storage.sql.exec<{ version: number }>("SELECT version FROM schema_version").toArray(),
	);

const columnsOf = (gate: Gate, table: string) =>
	runInDurableObject(gate, (_i: EndpointGate, state) =>
		state.storage.sql
			.exec<{ name: string }>("SELECT name FROM pragma_table_info(?)", table)
			.toArray()
			.map((c) => c.name),
	);

/**
 * Ends the gate's instance as an eviction or a deploy would: its storage
 * stays, and the next call constructs it afresh (a new stub, the old one is broken).
 * workerd logs each abort as an uncaught exception; those lines are expected.
 */
const restart = async (webhookId: string) => {
	await expect(
		runInDurableObject(gateOf(webhookId), (_i: EndpointGate, state) => state.abort("restart")),
	).rejects.toThrow("restart");
	return gateOf(webhookId);
};

/** A gate whose storage holds what `build` made, then restarted onto it. */
const gateWithStore = async (build: (sql: SqlStorage, webhookId: string) => void) => {
	const webhookId = `wh_${uniqueTag("migrate")}`;
	await runInDurableObject(gateOf(webhookId), (_i: EndpointGate, state) => {
		dropAll(state.storage.sql);
		build(state.storage.sql, webhookId);
	});
	return webhookId;
};

describe("gate schema versions", () => {
	it("a new gate starts at the current version, with every table and column", async () => {
		const gate = gateOf(`wh_${uniqueTag("fresh")}`);
		expect(await versionOf(gate)).toEqual([{ version: SCHEMA_VERSION }]);
		expect(await columnsOf(gate, "ledger")).toContain("request");
		expect(await columnsOf(gate, "paused")).toEqual(["notification_id", "paused_at", "released_at", "releases"]);
		expect(await columnsOf(gate, "parked")).toEqual([
			"notification_id",
			"series",
			"number",
			"parked_at",
			"released_at",
			"releases",
		]);
		expect((await gate.health()).circuit.state).toBe("closed");
	});

	it("adopts a store the unversioned code made: the current version recorded, every row kept, the gate works on them", async () => {
		const now = Date.now();
		const webhookId = await gateWithStore((sql, id) => {
			unversionedSchema(sql);
			seedRows(sql, id, now);
		});
		const before = await dump(gateOf(webhookId));
		const gate = await restart(webhookId);
		expect(await versionOf(gate)).toEqual([{ version: SCHEMA_VERSION }]);
		// Every row kept; the circuit gains the shard column, empty until the next send names it.
		expect(await dump(gate)).toEqual({
			...before,
			circuit: (before.circuit ?? []).map((row) => ({ ...row, shard: null })),
		});
		// The ledger still answers for what was delivered: replayed, never sent again.
		const answer = await gateSend(gate, gateInput("ntf_old", "https://receiver.test/hook", { webhookId }));
		expect(answer).toMatchObject({ kind: "replay", attemptId: "att_old", outcome: { statusCode: 200 } });
		expect(await gate.health()).toMatchObject({
			circuit: { state: "open", consecutiveFailures: 3 },
			lastError: "HTTP 500",
			paused: 2,
			lastHour: { attempts: 4, succeeded: 1 },
		});
	});

	it("carries a store from before the paused release columns forward: they are added, what waits is unreleased", async () => {
		const now = Date.now();
		const webhookId = await gateWithStore((sql, id) => {
			unversionedSchema(sql, { pausedReleaseColumns: false });
			seedRows(sql, id, now, { pausedReleaseColumns: false });
		});
		const gate = await restart(webhookId);
		expect(await versionOf(gate)).toEqual([{ version: SCHEMA_VERSION }]);
		expect((await dump(gate)).paused).toEqual([
			{ notification_id: "ntf_waits", paused_at: now - 500, released_at: null, releases: 0 },
		]);
		expect((await dump(gate)).ledger).toHaveLength(1);
	});

	it("carries a store from the first ledger (no request column, no health tables) through every step", async () => {
		const now = Date.now();
		const webhookId = await gateWithStore((sql) => {
			sql.exec(`CREATE TABLE ledger (notification_id TEXT PRIMARY KEY, series INTEGER NOT NULL,
				last_number INTEGER NOT NULL, state TEXT NOT NULL, lease_until INTEGER, last_attempt TEXT, updated_at INTEGER NOT NULL)`);
			sql.exec(
				"INSERT INTO ledger (notification_id, series, last_number, state, updated_at) VALUES ('ntf_first', 0, 2, 'attempted', ?)",
				now,
			);
		});
		const gate = await restart(webhookId);
		expect(await versionOf(gate)).toEqual([{ version: SCHEMA_VERSION }]);
		expect((await dump(gate)).ledger).toEqual([
			{
				notification_id: "ntf_first",
				series: 0,
				last_number: 2,
				state: "attempted",
				lease_until: null,
				last_attempt: null,
				updated_at: now,
				request: null,
			},
		]);
		expect(await gate.health()).toMatchObject({ circuit: { state: "closed" }, paused: 0 });
	});

	it("runs each step once: a restart at the current version changes nothing and the gate answers", async () => {
		const webhookId = `wh_${uniqueTag("again")}`;
		await gateSend(
			gateOf(webhookId),
			gateInput("ntf_once", `${env.RECEIVER_URL}/ok/${uniqueTag("once")}`, { webhookId }),
		);
		const before = await dump(gateOf(webhookId));
		// A step run twice would fail (its CREATE TABLE or ADD COLUMN exists already) and so would the gate.
		const gate = await restart(webhookId);
		expect(await versionOf(gate)).toEqual([{ version: SCHEMA_VERSION }]);
		expect(await dump(gate)).toEqual(before);
		expect((await gate.health()).lastHour.attempts).toBe(1);
	});
});
