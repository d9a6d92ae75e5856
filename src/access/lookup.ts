// Keys and tenants as the request path sees them, read from the catalog at
// most once per CACHE_MS per isolate: checking a key costs ingest no D1 read
// per request. A revocation, an expiry or a deleted tenant therefore takes
// effect everywhere within CACHE_MS (and at once in the isolate that made it);
// the contract allows 10 seconds.
import { and, eq, isNull } from "drizzle-orm";
import { catalog } from "../db";
import { type ApiKeyRow, apiKeys, type Scope, tenants } from "../db/catalog";
import { count } from "../metrics";

export const CACHE_MS = 5_000;
/** lastUsedAt is written at most this often per key (and isolate). */
const LAST_USED_EVERY_MS = 60_000;
/** Past this many entries a cache starts over, so unknown secrets cannot grow it without bound. */
const MAX_ENTRIES = 10_000;

export type KeyEntry = {
	id: string;
	tenantId: string | null;
	scopes: Scope[];
	expiresAt: number | null;
	lastUsedAt: number | null;
};

type Cached<T> = { value: T; until: number };

const cacheOf = <T>() => {
	const entries = new Map<string, Cached<T>>();
	return {
		async get(key: string, load: () => Promise<T>, now = Date.now()) {
			const hit = entries.get(key);
			if (hit && hit.until > now) return hit.value;
			const value = await load();
			if (entries.size >= MAX_ENTRIES) entries.clear();
			entries.set(key, { value, until: now + CACHE_MS });
			return value;
		},
		forget(key: string) {
			entries.delete(key);
		},
		clear() {
			entries.clear();
		},
	};
};

const keysByHash = cacheOf<KeyEntry | null>();
/** A live tenant's shard; null for an unknown or deleted tenant. */
const tenantShards = cacheOf<string | null>();

const toEntry = (row: ApiKeyRow): KeyEntry => ({
	id: row.id,
	tenantId: row.tenantId,
	scopes: row.scopes,
	expiresAt: row.expiresAt,
	lastUsedAt: row.lastUsedAt,
});

/** The live key with this secret hash (revoked keys read as unknown), from the cache when fresh. */
export const keyByHash = (env: Env, hash: string) =>
	keysByHash.get(hash, async () => {
		count("catalogReads");
		const row = await catalog(env).query.apiKeys.findFirst({
			where: and(eq(apiKeys.secretHash, hash), isNull(apiKeys.revokedAt)),
		});
		return row ? toEntry(row) : null;
	});

/** A revoked key is forgotten here at once; other isolates drop it within CACHE_MS. */
export const forgetKey = (hash: string) => keysByHash.forget(hash);

/** The shard of a tenant that exists and is not deleted (null otherwise), from the cache when fresh. */
export const shardOfTenant = (env: Env, tenantId: string) =>
	tenantShards.get(tenantId, async () => {
		count("catalogReads");
		const row = await catalog(env).query.tenants.findFirst({
			columns: { shard: true },
			where: and(eq(tenants.id, tenantId), isNull(tenants.deletedAt)),
		});
		return row?.shard ?? null;
	});

export const forgetTenant = (tenantId: string) => tenantShards.forget(tenantId);

/** Records that a key was used, at most once a minute: a write after the answer, never a read before it. */
export const noteKeyUsed = (env: Env, key: KeyEntry, waitUntil: (p: Promise<unknown>) => void, now = Date.now()) => {
	if (key.lastUsedAt !== null && now - key.lastUsedAt < LAST_USED_EVERY_MS) return;
	key.lastUsedAt = now;
	waitUntil(
		catalog(env)
			.update(apiKeys)
			.set({ lastUsedAt: now })
			.where(eq(apiKeys.id, key.id))
			.then(
				() => undefined,
				(err) => console.error(JSON.stringify({ msg: "lastUsedAt not written", key: key.id, error: String(err) })),
			),
	);
};

/** For tests that change the catalog behind the cache's back. */
export const clearAccessCaches = () => {
	keysByHash.clear();
	tenantShards.clear();
};
