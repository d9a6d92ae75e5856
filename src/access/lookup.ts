// Keys and tenants as the request path sees them, from per-isolate caches
// (./cache.ts): checking a key or a tenant costs a request no D1 read. A key is
// read by its hash; the tenants come as one directory of every live tenant and
// its shard, read whole, so a platform with a thousand tenants costs one
// catalog read per FRESH_MS, not one per tenant. A revocation, an expiry or a
// deleted tenant takes effect everywhere within STALE_MS (and at once in the
// isolate that made it); the contract allows 10 seconds. The tenant portal
// reads a tenant's name and portal origins the same way, once per FRESH_MS.
import { and, eq, isNull } from "drizzle-orm";
import { catalog } from "../db";
import { type ApiKeyRow, apiKeys, type Scope, tenants } from "../db/catalog";
import { count } from "../metrics";
import { refreshingCache, type WaitUntil } from "./cache";

/** lastUsedAt is written at most this often per key (and isolate). */
const LAST_USED_EVERY_MS = 60_000;

export type KeyEntry = {
	id: string;
	tenantId: string | null;
	scopes: Scope[];
	expiresAt: number | null;
	lastUsedAt: number | null;
};

const keysByHash = refreshingCache<KeyEntry | null>();
/** Every live tenant's shard, under one entry. */
const directory = refreshingCache<Map<string, string>>();
/** Tenants the directory did not have when asked: created since it was read, or unknown (null). */
const outsideDirectory = refreshingCache<string | null>();
const DIRECTORY = "tenants";

/** What the portal's frame needs of its tenant. */
export type PortalTenant = { name: string; portalOrigins: string[] };
const portalTenants = refreshingCache<PortalTenant | null>();

const toEntry = (row: ApiKeyRow): KeyEntry => ({
	id: row.id,
	tenantId: row.tenantId,
	scopes: row.scopes,
	expiresAt: row.expiresAt,
	lastUsedAt: row.lastUsedAt,
});

/** The live key with this secret hash (revoked keys read as unknown). */
export const keyByHash = (env: Env, hash: string, waitUntil?: WaitUntil) =>
	keysByHash.get(
		hash,
		async () => {
			count("catalogReads");
			const row = await catalog(env).query.apiKeys.findFirst({
				where: and(eq(apiKeys.secretHash, hash), isNull(apiKeys.revokedAt)),
			});
			return row ? toEntry(row) : null;
		},
		waitUntil,
	);

/** A revoked key is forgotten here at once; other isolates drop it within STALE_MS. */
export const forgetKey = (hash: string) => keysByHash.forget(hash);

const readDirectory = async (env: Env) => {
	count("catalogReads");
	const rows = await catalog(env)
		.select({ id: tenants.id, shard: tenants.shard })
		.from(tenants)
		.where(isNull(tenants.deletedAt));
	return new Map(rows.map((row) => [row.id, row.shard]));
};

/** The shard of a tenant that exists and is not deleted; null for an unknown or deleted one. */
export const shardOfTenant = async (env: Env, tenantId: string, waitUntil?: WaitUntil) => {
	const shard = (await directory.get(DIRECTORY, () => readDirectory(env), waitUntil)).get(tenantId);
	if (shard !== undefined) return shard;
	return outsideDirectory.get(
		tenantId,
		async () => {
			count("catalogReads");
			const row = await catalog(env).query.tenants.findFirst({
				columns: { shard: true },
				where: and(eq(tenants.id, tenantId), isNull(tenants.deletedAt)),
			});
			return row?.shard ?? null;
		},
		waitUntil,
	);
};

/** A live tenant's name and the origins allowed to embed its portal; null for an unknown or deleted one. */
export const portalTenantOf = (env: Env, tenantId: string, waitUntil?: WaitUntil) =>
	portalTenants.get(
		tenantId,
		async () => {
			count("catalogReads");
			const row = await catalog(env).query.tenants.findFirst({
				columns: { name: true, portalOrigins: true },
				where: and(eq(tenants.id, tenantId), isNull(tenants.deletedAt)),
			});
			return row ?? null;
		},
		waitUntil,
	);

/** This isolate created, changed or deleted a tenant: its caches know at once; other isolates within STALE_MS. */
export const forgetTenant = (tenantId: string) => {
	directory.forget(DIRECTORY);
	outsideDirectory.forget(tenantId);
	portalTenants.forget(tenantId);
};

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
	directory.clear();
	outsideDirectory.clear();
	portalTenants.clear();
};
