// Drizzle over the two database roles: the catalog (env.CATALOG) and a tenant's
// history shard (ShardEnv.DB, see ./shards.ts).
import { drizzle } from "drizzle-orm/d1";
import * as catalogSchema from "./catalog";
import * as schema from "./schema";
import type { ShardEnv } from "./shards";

const connect = (d1: D1Database) => drizzle(d1, { schema });
const connectCatalog = (d1: D1Database) => drizzle(d1, { schema: catalogSchema });
export type Database = ReturnType<typeof connect>;
export type CatalogDatabase = ReturnType<typeof connectCatalog>;

/**
 * One drizzle instance per D1 binding: building one walks the whole schema, and
 * the consumer asks for one per statement. The instance holds nothing of a request.
 */
const instances = new WeakMap<D1Database, Database>();
const catalogs = new WeakMap<D1Database, CatalogDatabase>();

/** The history shard `env` is aimed at. */
export const database = (env: ShardEnv): Database => {
	let db = instances.get(env.DB);
	if (!db) {
		db = connect(env.DB);
		instances.set(env.DB, db);
	}
	return db;
};

/** The catalog: tenants, their shards, API keys. */
export const catalog = (env: Env): CatalogDatabase => {
	let db = catalogs.get(env.CATALOG);
	if (!db) {
		db = connectCatalog(env.CATALOG);
		catalogs.set(env.CATALOG, db);
	}
	return db;
};

/** Whether a D1 error is a unique-key violation (a repeated id or key). */
export const isUniqueViolation = (err: unknown) =>
	/UNIQUE constraint failed|SQLITE_CONSTRAINT/i.test(
		String((err as Error)?.message ?? err) + String((err as Error)?.cause ?? ""),
	);

/** A drizzle statement as a D1 one, so one D1 batch can mix it with prepared statements. */
export const asStatement = (env: ShardEnv, query: { toSQL(): { sql: string; params: unknown[] } }) => {
	const { sql: text, params } = query.toSQL();
	return env.DB.prepare(text).bind(...params);
};
