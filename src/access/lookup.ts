// Keys and tenants as the request path sees them, from per-isolate caches
// (./cache.ts): checking a key or a tenant costs a request no D1 read. A key is
// read by its hash; the tenants come as one directory of every live tenant and
// its shard, read whole, so a platform with a thousand tenants costs one
// catalog read per FRESH_MS, not one per tenant. A revocation, an expiry or a
// deleted tenant takes effect everywhere within STALE_MS (and at once in the
// isolate that made it); the contract allows 10 seconds. The directory also
// carries each tenant's region, which the delivery consumer reads for the
// webhooks that send from their tenant's (once per batch, src/delivery/region.ts),
// so a change of a tenant's region reaches its deliveries within STALE_MS too.
// The tenant portal reads a tenant's name and portal origins the same way, once
// per FRESH_MS.
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
/** Where a live tenant's data is, and the region it sends from (null: the deployment's first, src/regions.ts). */
export type TenantPlace = { shard: string; region: string | null };
/** Every live tenant's place, under one entry. */
const directory = refreshingCache<Map<string, TenantPlace>>();
/** Tenants the directory did not have when asked: created since it was read, or unknown (null). */
const outsideDirectory = refreshingCache<TenantPlace | null>();
const DIRECTORY = "tenants";

/** What the portal's frame needs of its tenant (its region: the sender IPs it sees). */
export type PortalTenant = { name: string; portalOrigins: string[]; region: string | null };
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
		.select({ id: tenants.id, shard: tenants.shard, region: tenants.region })
		.from(tenants)
		.where(isNull(tenants.deletedAt));
	return new Map(rows.map(({ id, ...place }) => [id, place]));
};

/** Every live tenant's place, as this isolate's directory has it (read at most once per FRESH_MS). */
export const tenantDirectory = (env: Env, waitUntil?: WaitUntil) =>
	directory.get(DIRECTORY, () => readDirectory(env), waitUntil);

/** The place of a tenant the directory did not have (created since it was read): one read, cached like it. */
export const placeOutsideDirectory = (env: Env, tenantId: string, waitUntil?: WaitUntil) =>
	outsideDirectory.get(
		tenantId,
		async () => {
			count("catalogReads");
			const row = await catalog(env).query.tenants.findFirst({
				columns: { shard: true, region: true },
				where: and(eq(tenants.id, tenantId), isNull(tenants.deletedAt)),
			});
			return row ?? null;
		},
		waitUntil,
	);

/** Where a tenant that exists and is not deleted lives, and its region; null for an unknown or deleted one. */
export const placeOfTenant = async (env: Env, tenantId: string, waitUntil?: WaitUntil) =>
	(await tenantDirectory(env, waitUntil)).get(tenantId) ?? placeOutsideDirectory(env, tenantId, waitUntil);

/** The shard of a tenant that exists and is not deleted; null for an unknown or deleted one. */
export const shardOfTenant = async (env: Env, tenantId: string, waitUntil?: WaitUntil) =>
	(await placeOfTenant(env, tenantId, waitUntil))?.shard ?? null;

/** A live tenant's name and the origins allowed to embed its portal; null for an unknown or deleted one. */
export const portalTenantOf = (env: Env, tenantId: string, waitUntil?: WaitUntil) =>
	portalTenants.get(
		tenantId,
		async () => {
			count("catalogReads");
			const row = await catalog(env).query.tenants.findFirst({
				columns: { name: true, portalOrigins: true, region: true },
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
