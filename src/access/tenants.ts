// Tenants: create (placing the tenant on a shard), change and delete. Deleting
// one (never `default`) deletes its webhooks on its shard, so its deliveries
// stop (what is open ends `failed`), then marks it deleted and revokes its keys
// in the catalog, so its keys stop working within the lookup cache's time; its
// history stays on its shard and ages out under retention.
import { and, eq, isNull } from "drizzle-orm";
import { chunk } from "../chunk";
import { readConfig } from "../config";
import { catalog, database, isUniqueViolation } from "../db";
import { apiKeys, type TenantRow, tenants } from "../db/catalog";
import { placeTenant } from "../db/placement";
import { webhooks } from "../db/schema";
import { shardEnv } from "../db/shards";
import { gateOf } from "../gate";
import { failOpenOfTenant } from "../history/transitions";
import { ProblemError } from "../http/problem";
import { ulidOf } from "../ids";
import { knownRegion } from "../regions";
import { dropTenantFilters } from "../webhooks/filters";
import { forgetKey, forgetTenant } from "./lookup";
import { DEFAULT_TENANT } from "./principal";
import type { TenantCreate } from "./schema";

/** A tenant's region as given, checked against the configured ones; unset takes the deployment's first (or null). */
const regionOrProblem = (env: Env, region: string | null | undefined) => {
	const { regions } = readConfig(env);
	return region === undefined ? (regions[0]?.name ?? null) : knownRegion(regions, region);
};

export const findTenant = async (env: Env, id: string) => {
	const row = await catalog(env).query.tenants.findFirst({
		where: and(eq(tenants.id, id), isNull(tenants.deletedAt)),
	});
	if (!row) throw new ProblemError(404, `No tenant ${id}.`);
	return row;
};

export const createTenant = async (env: Env, input: TenantCreate, at = Date.now()): Promise<TenantRow> => {
	const row: TenantRow = {
		id: input.id ?? `tnt_${ulidOf(at).toLowerCase()}`,
		name: input.name,
		shard: await placeTenant(env),
		region: regionOrProblem(env, input.region),
		portalOrigins: input.portalOrigins,
		createdAt: at,
		updatedAt: at,
		deletedAt: null,
	};
	try {
		await catalog(env).insert(tenants).values(row);
	} catch (err) {
		if (isUniqueViolation(err))
			throw new ProblemError(409, `The tenant id ${row.id} is taken (tenant ids are never reused).`);
		throw err;
	}
	forgetTenant(row.id);
	return row;
};

export const changeTenant = async (
	env: Env,
	current: TenantRow,
	patch: { name?: string; region?: string | null; portalOrigins?: string[] },
	at = Date.now(),
) => {
	const [row] = await catalog(env)
		.update(tenants)
		.set({
			...(patch.name === undefined ? {} : { name: patch.name }),
			...(patch.region === undefined ? {} : { region: regionOrProblem(env, patch.region) }),
			...(patch.portalOrigins === undefined ? {} : { portalOrigins: patch.portalOrigins }),
			updatedAt: at,
		})
		.where(and(eq(tenants.id, current.id), isNull(tenants.deletedAt)))
		.returning();
	if (!row) throw new ProblemError(404, `No tenant ${current.id}.`);
	// The portal frames its pages with the tenant's origins: this isolate sees a change at once.
	forgetTenant(row.id);
	return row;
};

/** How many gates are told at once when a tenant's webhooks go. */
const GATE_CALLS_AT_ONCE = 20;

export const deleteTenant = async (env: Env, id: string, at = Date.now()) => {
	if (id === DEFAULT_TENANT) throw new ProblemError(409, "The default tenant always exists; it cannot be deleted.");
	const tenant = await findTenant(env, id);
	// The shard first: should the catalog write fail after it, the tenant still exists and a repeat finishes the job.
	const history = shardEnv(env, tenant.shard);
	const db = database(history);
	const [gone] = await db.batch([
		db
			.update(webhooks)
			.set({ deletedAt: at, updatedAt: at })
			.where(and(eq(webhooks.tenantId, id), isNull(webhooks.deletedAt)))
			.returning({ id: webhooks.id }),
		dropTenantFilters(history, id),
		failOpenOfTenant(history, id, at),
	]);
	const cat = catalog(env);
	const [, revoked] = await cat.batch([
		cat.update(tenants).set({ deletedAt: at, updatedAt: at }).where(eq(tenants.id, id)),
		cat
			.update(apiKeys)
			.set({ revokedAt: at })
			.where(and(eq(apiKeys.tenantId, id), isNull(apiKeys.revokedAt)))
			.returning({ hash: apiKeys.secretHash }),
	]);
	forgetTenant(id);
	for (const { hash } of revoked) forgetKey(hash);
	for (const part of chunk(gone, GATE_CALLS_AT_ONCE))
		await Promise.all(part.map(({ id: webhookId }) => gateOf(env, webhookId).disabled(at)));
};
