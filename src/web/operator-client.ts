// The console's client of the operator's own API: tenants (/v1/tenants) and
// API keys (/v1/keys). Only the console makes one; a page bound to one tenant
// (the portal's) has just the tenant client of api-client.ts.
import type { z } from "@hono/zod-openapi";
import type { ApiKey, ApiKeyCreate, ApiKeyWithSecret, Tenant, TenantCreate } from "../access/schema";
import { type ApiConnection, apiCaller, type Draft, type Page, segment } from "./api-client";
import { queryOf } from "./query";

/** Whose keys a list shows: one tenant's, or the operator-wide ones. */
export type KeyOwner = { tenantId: string } | { operatorWide: true };

export const operatorClient = (connection: ApiConnection) => {
	const call = apiCaller(connection);
	return {
		listTenants: ({ limit, cursor }: { limit: number; cursor?: string }) =>
			call<Page<typeof Tenant>>("GET", `/v1/tenants?${queryOf({ limit: String(limit), cursor })}`),
		tenant: (id: string) => call<Tenant>("GET", `/v1/tenants${segment(id)}`),
		createTenant: (body: Draft<Omit<TenantCreate, "portalOrigins">>) => call<Tenant>("POST", "/v1/tenants", body),
		deleteTenant: (id: string) => call<null>("DELETE", `/v1/tenants${segment(id)}`),

		listKeys: (owner: KeyOwner, { limit, cursor }: { limit: number; cursor?: string }) =>
			call<Page<typeof ApiKey>>(
				"GET",
				`/v1/keys?${queryOf({
					...("tenantId" in owner ? { tenantId: owner.tenantId } : { operatorWide: "true" }),
					limit: String(limit),
					cursor,
				})}`,
			),
		createKey: (body: Draft<ApiKeyCreate>) => call<z.infer<typeof ApiKeyWithSecret>>("POST", "/v1/keys", body),
		revokeKey: (id: string) => call<null>("DELETE", `/v1/keys${segment(id)}`),
	};
};

export type OperatorClient = ReturnType<typeof operatorClient>;
