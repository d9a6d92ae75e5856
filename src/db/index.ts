import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export const database = (env: Env) => drizzle(env.DB, { schema });
export type Database = ReturnType<typeof database>;

/** Splits `items` into runs of `size` (D1 allows 100 bound parameters per statement; queues 100 messages per call). */
export const chunk = <T>(items: T[], size: number): T[][] => {
	const out: T[][] = [];
	for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
	return out;
};

/** Whether a D1 error is a unique-key violation (a repeated id or key). */
export const isUniqueViolation = (err: unknown) =>
	/UNIQUE constraint failed|SQLITE_CONSTRAINT/i.test(
		String((err as Error)?.message ?? err) + String((err as Error)?.cause ?? ""),
	);
