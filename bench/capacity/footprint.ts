// What Hookline's local state holds on disk, read with Node's SQLite from
// copies of the files local workerd keeps under its persist folder: D1 under
// v3/d1/miniflare-D1DatabaseObject, the endpoint gates under
// v3/do/<worker>-EndpointGate. SQLite's dbstat table gives the pages of every
// table and index, so what a row costs includes its indexes, its overflow pages
// and the room pages leave unused: the bytes the database file grows by.
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { benchStateRoot } from "../lib.ts";

/** The history tables: what a tenant's traffic writes (webhooks are configuration). */
export const HISTORY_TABLES = ["events", "notifications", "attempts", "ingest_keys"] as const;
export type HistoryTable = (typeof HISTORY_TABLES)[number];

export type ObjectBytes = { name: string; table: string; index: boolean; pages: number; bytes: number };

export type FileStats = {
	objects: ObjectBytes[];
	rows: Record<string, number>;
	pageSize: number;
	/** Pages in the file, and those free for reuse (what a purge leaves). */
	pageCount: number;
	freePages: number;
};

/** Runs `read` on a copy of `file` (with its write-ahead log), next to the bench's other state; removes the copy. */
const onCopy = <T>(file: string, read: (db: DatabaseSync) => T): T => {
	const dir = mkdtempSync(join(benchStateRoot().dir, "hookline-footprint-"));
	try {
		const copy = join(dir, "copy.sqlite");
		copyFileSync(file, copy);
		if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`);
		const db = new DatabaseSync(copy);
		try {
			return read(db);
		} finally {
			db.close();
		}
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
};

const tableNames = (db: DatabaseSync) =>
	db
		.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
		.all()
		.map((r) => String(r.name));

const pragma = (db: DatabaseSync, name: string) => Number(Object.values(db.prepare(`PRAGMA ${name}`).get() ?? {})[0]);

/** Every table and index of `tables` with its pages, and the tables' row counts. */
const statsOf = (db: DatabaseSync, tables: readonly string[]): FileStats => {
	const objects = db
		.prepare(
			`SELECT s.name AS name, m.tbl_name AS tbl, m.type AS type, count(*) AS pages, sum(s.pgsize) AS bytes
			 FROM dbstat s JOIN sqlite_schema m ON m.name = s.name GROUP BY s.name ORDER BY s.name`,
		)
		.all()
		.filter((r) => tables.includes(String(r.tbl)))
		.map((r) => ({
			name: String(r.name),
			table: String(r.tbl),
			index: r.type === "index",
			pages: Number(r.pages),
			bytes: Number(r.bytes),
		}));
	const rows = Object.fromEntries(
		tables.map((t) => [t, Number(db.prepare(`SELECT count(*) AS n FROM "${t}"`).get()?.n ?? 0)]),
	);
	return {
		objects,
		rows,
		pageSize: pragma(db, "page_size"),
		pageCount: pragma(db, "page_count"),
		freePages: pragma(db, "freelist_count"),
	};
};

const sqliteFiles = (dir: string) =>
	existsSync(dir)
		? readdirSync(dir)
				.filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite")
				.map((f) => join(dir, f))
		: [];

export const d1Directory = (state: string) => join(state, "v3", "d1", "miniflare-D1DatabaseObject");

/**
 * The history shards' files, each named by its binding: the catalog says
 * which shard each tenant is on, and a shard's file holds its tenants' webhooks.
 */
export const shardFiles = (state: string) => {
	const files = sqliteFiles(d1Directory(state));
	const shardOf = new Map<string, string>();
	for (const file of files) {
		onCopy(file, (db) => {
			if (!tableNames(db).includes("tenants")) return;
			for (const r of db.prepare("SELECT id, shard FROM tenants").all()) shardOf.set(String(r.id), String(r.shard));
		});
	}
	return files.flatMap((file) =>
		onCopy(file, (db) => {
			if (!tableNames(db).includes("notifications")) return [];
			const tenants = db
				.prepare("SELECT DISTINCT tenant_id AS t FROM webhooks")
				.all()
				.map((r) => String(r.t));
			const names = new Set(tenants.map((t) => shardOf.get(t) ?? "?"));
			return [{ file, shard: [...names].sort().join("+") || "(no webhooks)", tenants }];
		}),
	);
};

/** The bytes of the large texts as stored (packed or not): events' data and notifications' request bodies. */
const textBytes = (db: DatabaseSync) => {
	const sum = (sql: string) => Number(db.prepare(sql).get()?.n ?? 0);
	return {
		eventData: sum("SELECT sum(length(CAST(data AS BLOB))) AS n FROM events"),
		requestBodies: sum("SELECT sum(length(CAST(request_body AS BLOB))) AS n FROM notifications"),
	};
};

/** Each shard's history tables and indexes, and how much of them the large texts are. */
export const d1Footprint = (state: string) =>
	shardFiles(state).map(({ file, shard }) => ({
		shard,
		...onCopy(file, (db) => ({ ...statsOf(db, HISTORY_TABLES), texts: textBytes(db) })),
	}));

export type ShardFootprint = ReturnType<typeof d1Footprint>[number];

/** The bytes of `table` with its indexes, over every shard, and its rows. */
export const tableBytes = (shards: ShardFootprint[], table: string) => {
	const objects = shards.flatMap((s) => s.objects.filter((o) => o.table === table));
	const byIndex = new Map<string, number>();
	for (const o of objects) if (o.index) byIndex.set(o.name, (byIndex.get(o.name) ?? 0) + o.bytes);
	return {
		rows: shards.reduce((sum, s) => sum + (s.rows[table] ?? 0), 0),
		table: objects.filter((o) => !o.index).reduce((sum, o) => sum + o.bytes, 0),
		indexes: Object.fromEntries(byIndex),
	};
};

/**
 * The endpoint gates' storage: each gate's databaseSize (pages × page size,
 * what `ctx.storage.sql.databaseSize` reports) and its ledger, one row per
 * notification sent in the last hour, with the ledger's index.
 */
export const gateFootprint = (state: string) => {
	const root = join(state, "v3", "do");
	const dirs = existsSync(root) ? readdirSync(root).filter((d) => d.endsWith("-EndpointGate")) : [];
	const gates = dirs.flatMap((d) => sqliteFiles(join(root, d)));
	let ledgerRows = 0;
	let withRequest = 0;
	let ledgerBytes = 0;
	let databaseBytes = 0;
	for (const file of gates) {
		onCopy(file, (db) => {
			const stats = statsOf(db, ["ledger"]);
			ledgerRows += stats.rows.ledger ?? 0;
			ledgerBytes += stats.objects.reduce((sum, o) => sum + o.bytes, 0);
			databaseBytes += stats.pageCount * stats.pageSize;
			withRequest += Number(db.prepare("SELECT count(*) AS n FROM ledger WHERE request IS NOT NULL").get()?.n ?? 0);
		});
	}
	return { gates: gates.length, ledgerRows, withRequest, ledgerBytes, databaseBytes };
};

export type GateFootprint = ReturnType<typeof gateFootprint>;
