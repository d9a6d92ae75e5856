// The tenant the bench's load runs as: tenant `bench`, created with the admin
// token, and an API key with the ingest scope for it. Events go to the
// unprefixed POST /v1/events with that key, so each one is authenticated as a
// tenant's producer would be (key by hash, tenant check, both cached per
// isolate); everything else the bench does as the operator, under
// /v1/tenants/bench/….
import type { startHookline } from "../lib.ts";

export const BENCH_TENANT = "bench";

type Api = Awaited<ReturnType<typeof startHookline>>["api"];

/** Creates a tenant and an API key with the ingest scope for it; answers the key's secret. */
export const tenantWithIngestKey = async (api: Api, tenantId: string, name = tenantId) => {
	await api("POST", "/v1/tenants", { id: tenantId, name });
	const key = await api("POST", "/v1/keys", { name: `${tenantId} ingest`, tenantId, scopes: ["ingest"] });
	if (typeof key.secret !== "string") throw new Error(`no secret for ${tenantId}'s key: ${JSON.stringify(key)}`);
	return key.secret;
};

/** Tenant `bench` with its ingest key: the headers its events go with, and its operator paths. */
export const benchTenant = async (api: Api) => {
	const secret = await tenantWithIngestKey(api, BENCH_TENANT, "Benchmark");
	return {
		ingestHeaders: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
		/** POST /v1/events with `ingestHeaders`: the key names the tenant. */
		eventsPath: "/v1/events",
		/** An operator path of tenant `bench`: /v1/tenants/bench + `path`. */
		path: (path: string) => `/v1/tenants/${BENCH_TENANT}${path}`,
	};
};
