import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

const connect = (d1: D1Database) => drizzle(d1, { schema });
export type Database = ReturnType<typeof connect>;

/**
 * One drizzle instance per D1 binding: building one walks the whole schema, and
 * the consumer asks for one per statement. The instance holds nothing of a request.
 */
const instances = new WeakMap<D1Database, Database>();
export const database = (env: Env): Database => {
	let db = instances.get(env.DB);
	if (!db) {
		db = connect(env.DB);
		instances.set(env.DB, db);
	}
	return db;
};

/** Whether a D1 error is a unique-key violation (a repeated id or key). */
export const isUniqueViolation = (err: unknown) =>
	/UNIQUE constraint failed|SQLITE_CONSTRAINT/i.test(
		String((err as Error)?.message ?? err) + String((err as Error)?.cause ?? ""),
	);

/** A drizzle statement as a D1 one, so one D1 batch can mix it with prepared statements. */
export const asStatement = (env: Env, query: { toSQL(): { sql: string; params: unknown[] } }) => {
	const { sql: text, params } = query.toSQL();
	return env.DB.prepare(text).bind(...params);
};
