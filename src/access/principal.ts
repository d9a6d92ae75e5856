// Who is calling, and what they may reach. A principal is the deployment's
// operator (bootstrap tokens, operator-wide keys) or one tenant (its keys).
import type { Scope } from "../db/catalog";
import type { ShardEnv } from "../db/shards";

export type Principal = {
	/** null: operator-wide, every tenant. */
	tenantId: string | null;
	scopes: readonly Scope[];
	/** The API key's id; absent for the bootstrap tokens. */
	keyId?: string;
	/** How a problem names the caller: "the admin token", "API key key_…". */
	label: string;
};

/** What a request resolved to: the caller, the tenant the route acts for, and that tenant's history shard. */
export type Access = { principal: Principal; tenantId: string; shard: ShardEnv };

export const DEFAULT_TENANT = "default";

export const hasScope = (principal: Principal, scope: Scope) => principal.scopes.includes(scope);

export const isOperator = (principal: Principal) => principal.tenantId === null;
