// Where a new tenant lives: the open shard (a SHARD_* binding not listed in
// SHARDS_CLOSED) with the fewest tenants, the first by name on a tie. The
// choice is recorded on the tenant in the catalog and never changes by itself;
// moving a tenant is a procedure (docs/scaling.md).
import { count, isNull } from "drizzle-orm";
import { readConfig } from "../config";
import { ProblemError } from "../http/problem";
import { catalog } from ".";
import { tenants } from "./catalog";
import { shardNames } from "./shards";

/** The shards that take new tenants. */
export const openShards = (env: Env) => {
	const closed = new Set(readConfig(env).shardsClosed);
	return shardNames(env).filter((name) => !closed.has(name));
};

export const placeTenant = async (env: Env): Promise<string> => {
	const open = openShards(env);
	if (open.length === 0) {
		throw new ProblemError(503, "No shard takes new tenants: every SHARD_* binding is listed in SHARDS_CLOSED.");
	}
	const rows = await catalog(env)
		.select({ shard: tenants.shard, n: count() })
		.from(tenants)
		.where(isNull(tenants.deletedAt))
		.groupBy(tenants.shard);
	const tenantsOn = new Map(rows.map((row) => [row.shard, row.n]));
	return open.reduce((best, name) => ((tenantsOn.get(name) ?? 0) < (tenantsOn.get(best) ?? 0) ? name : best));
};
