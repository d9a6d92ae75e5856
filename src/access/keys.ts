// API keys: create (the secret answered once, its hash stored), list and
// revoke. A tenant's key reaches only its own tenant's keys; every caller
// makes keys with no more scopes than it has.
import { and, desc, eq, isNull, lt, type SQL } from "drizzle-orm";
import { catalog } from "../db";
import { type ApiKeyRow, apiKeys } from "../db/catalog";
import { ProblemError, validationProblem } from "../http/problem";
import { newId } from "../ids";
import { forgetKey, shardOfTenant } from "./lookup";
import { isOperator, type Principal } from "./principal";
import type { ApiKeyCreate } from "./schema";
import { hashOfSecret, newKeySecret, prefixOf } from "./secrets";

/**
 * The tenant a caller's new key is for, checked against what the caller may
 * grant: no caller, operator-wide or not, makes a key with a scope it lacks.
 */
const tenantOfNewKey = async (env: Env, principal: Principal, input: ApiKeyCreate) => {
	const extra = input.scopes.filter((scope) => !principal.scopes.includes(scope));
	if (extra.length > 0) {
		throw new ProblemError(403, `${principal.label} cannot grant scopes it lacks: ${extra.join(", ")}.`);
	}
	if (!isOperator(principal)) {
		if (input.tenantId !== undefined && input.tenantId !== principal.tenantId) {
			throw new ProblemError(403, `${principal.label} may create keys for its own tenant only.`);
		}
		return principal.tenantId;
	}
	const tenantId = input.tenantId ?? null;
	if (tenantId !== null && (await shardOfTenant(env, tenantId)) === null) {
		throw validationProblem([{ path: "tenantId", message: `no tenant ${tenantId}` }]);
	}
	return tenantId;
};

export const createKey = async (env: Env, principal: Principal, input: ApiKeyCreate, at = Date.now()) => {
	const secret = newKeySecret();
	const row: ApiKeyRow = {
		id: newId("key", at),
		name: input.name,
		tenantId: await tenantOfNewKey(env, principal, input),
		scopes: input.scopes,
		secretHash: await hashOfSecret(secret),
		prefix: prefixOf(secret),
		expiresAt: input.expiresAt === undefined ? null : Date.parse(input.expiresAt),
		lastUsedAt: null,
		createdAt: at,
		revokedAt: null,
	};
	await catalog(env).insert(apiKeys).values(row);
	return { row, secret };
};

/**
 * Which keys a caller sees: a tenant key its tenant's; an operator every key,
 * or one tenant's, or the operator-wide ones, when asked.
 */
const visibleTo = (principal: Principal, tenantId: string | undefined, operatorWide = false): SQL | undefined => {
	if (operatorWide && tenantId !== undefined) {
		throw validationProblem([{ path: "operatorWide", message: "cannot be combined with tenantId" }]);
	}
	if (!isOperator(principal)) {
		if (operatorWide) {
			throw new ProblemError(403, `${principal.label} belongs to a tenant; only an operator lists operator-wide keys.`);
		}
		if (tenantId !== undefined && tenantId !== principal.tenantId) {
			throw new ProblemError(403, `${principal.label} belongs to another tenant than ${tenantId}.`);
		}
		return eq(apiKeys.tenantId, principal.tenantId as string);
	}
	if (operatorWide) return isNull(apiKeys.tenantId);
	return tenantId === undefined ? undefined : eq(apiKeys.tenantId, tenantId);
};

export const listKeys = (
	env: Env,
	principal: Principal,
	{
		tenantId,
		operatorWide,
		after,
		limit,
	}: { tenantId?: string; operatorWide?: boolean; after?: string; limit: number },
) =>
	catalog(env)
		.select()
		.from(apiKeys)
		.where(
			and(
				isNull(apiKeys.revokedAt),
				visibleTo(principal, tenantId, operatorWide),
				after ? lt(apiKeys.id, after) : undefined,
			),
		)
		.orderBy(desc(apiKeys.id))
		.limit(limit + 1);

/** Revokes a key the caller can see; another tenant's key is a 404, as if it did not exist. */
export const revokeKey = async (env: Env, principal: Principal, id: string, at = Date.now()) => {
	const [row] = await catalog(env)
		.update(apiKeys)
		.set({ revokedAt: at })
		.where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt), visibleTo(principal, undefined)))
		.returning({ hash: apiKeys.secretHash });
	if (!row) throw new ProblemError(404, `No API key ${id}.`);
	forgetKey(row.hash);
};
