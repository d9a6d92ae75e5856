// Which region each webhook of a consumer batch sends from: its own, else its
// tenant's as the tenant directory has it (src/access/lookup.ts), read at most
// once for the batch, so a delivery costs no catalog read of its own
// (docs/performance-log.md). A change of a tenant's region reaches its
// deliveries as the directory refreshes, within the cache's STALE_MS.
import type { WaitUntil } from "../access/cache";
import { placeOutsideDirectory, type TenantPlace, tenantDirectory } from "../access/lookup";
import { readConfig } from "../config";
import type { WebhookRow } from "../db/schema";
import type { ShardEnv } from "../db/shards";
import { webhookRegion } from "../regions";

export const regionsOfBatch = (env: ShardEnv, waitUntil?: WaitUntil) => {
	const { regions } = readConfig(env);
	let directory: Promise<Map<string, TenantPlace>> | undefined;
	const outside = new Map<string, Promise<TenantPlace | null>>();
	const placeOf = async (tenantId: string) => {
		directory ??= tenantDirectory(env, waitUntil);
		const place = (await directory).get(tenantId);
		if (place) return place;
		let read = outside.get(tenantId);
		if (!read) {
			read = placeOutsideDirectory(env, tenantId, waitUntil);
			outside.set(tenantId, read);
		}
		return read;
	};
	return async (webhook: WebhookRow): Promise<string | null> => {
		if (regions.length === 0) return null;
		if (webhook.region !== null) return webhook.region;
		return webhookRegion(regions, null, (await placeOf(webhook.tenantId))?.region ?? null);
	};
};
