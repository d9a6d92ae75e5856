// History shards: the D1 bindings named SHARD_<name> in wrangler.toml. Each
// holds everything its tenants own; the catalog records which shard a tenant
// is on. Code that works on one tenant's history gets a ShardEnv: the worker's
// bindings with `DB` set to that shard's database and `SHARD` to its name, so
// a history query never has to ask where it runs.

/** Where the tenant `default` lives (the catalog's first migration says so). */
export const DEFAULT_SHARD = "SHARD_A";

const SHARD_BINDING = /^SHARD_[A-Z0-9_]+$/;

export type ShardEnv = Env & { DB: D1Database; SHARD: string };

const namesOf = new WeakMap<object, string[]>();

/** The shard bindings this worker has, sorted by name. */
export const shardNames = (env: Env): string[] => {
	let names = namesOf.get(env);
	if (!names) {
		names = Object.keys(env)
			.filter((key) => SHARD_BINDING.test(key))
			.sort();
		namesOf.set(env, names);
	}
	return names;
};

/** Shard envs are built once per worker env and shard: they hold bindings, nothing of a request. */
const envsOf = new WeakMap<object, Map<string, ShardEnv>>();

/** The worker's bindings aimed at one shard's database. An unknown shard is a bug or a bad deployment: it throws. */
export const shardEnv = (env: Env, shard: string): ShardEnv => {
	let envs = envsOf.get(env);
	if (!envs) {
		envs = new Map();
		envsOf.set(env, envs);
	}
	let scoped = envs.get(shard);
	if (!scoped) {
		const d1 = (env as unknown as Record<string, unknown>)[shard];
		if (!SHARD_BINDING.test(shard) || !d1) {
			throw new Error(`No history shard ${shard}: wrangler.toml binds ${shardNames(env).join(", ") || "none"}.`);
		}
		scoped = { ...env, DB: d1 as D1Database, SHARD: shard };
		envs.set(shard, scoped);
	}
	return scoped;
};

/** Every shard's env, for work that spans them all (the sweeper, resealing). */
export const everyShard = (env: Env) => shardNames(env).map((name) => shardEnv(env, name));
