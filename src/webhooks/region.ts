// A webhook's region in the API: the region its tenant sends from (shown for
// the webhooks that have none of their own), and the check of a region given
// on create or change. The rules themselves are in src/regions.ts.

import type { WaitUntil } from "../access/cache";
import { placeOfTenant } from "../access/lookup";
import { readConfig } from "../config";
import { knownRegion, tenantRegion } from "../regions";

/** The region a tenant sends from, through the tenant directory (no catalog read per request). */
export const regionOfTenant = async (env: Env, tenantId: string, waitUntil?: WaitUntil) =>
	tenantRegion(readConfig(env).regions, (await placeOfTenant(env, tenantId, waitUntil))?.region ?? null);

/** A webhook's own region as given: null (its tenant's) or a configured region, else a 400 naming `region`. */
export const checkRegion = (env: Env, region: string | null) =>
	region === null ? null : knownRegion(readConfig(env).regions, region);
