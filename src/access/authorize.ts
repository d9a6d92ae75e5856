// Bearer authentication and scopes. A secret is a bootstrap token (ADMIN_TOKEN:
// operator, every scope; INGEST_TOKEN: operator, ingest) compared in constant
// time, or an API key (`hk_…`) found by its hash. Then the route's scope, and
// the tenant it acts for: the `{tenantId}` of the path, or the caller's own
// (a tenant key's tenant, the operator's `default`). A tenant key on another
// tenant's path is a 403; an unknown or deleted tenant a 404. A request the
// worker made for itself may carry a principal instead (./in-process.ts: the
// tenant portal's calls), which no request from outside can claim.
import type { Context, MiddlewareHandler } from "hono";
import { missingSecrets, readConfig } from "../config";
import type { Scope } from "../db/catalog";
import { DEFAULT_SHARD, shardEnv } from "../db/shards";
import { ProblemError } from "../http/problem";
import type { AppEnv } from "../http/router";
import type { WaitUntil } from "./cache";
import { inProcessPrincipal } from "./in-process";
import { keyByHash, noteKeyUsed, shardOfTenant } from "./lookup";
import { type Access, DEFAULT_TENANT, hasScope, isOperator, type Principal } from "./principal";
import { hashOfSecret, isKeySecret } from "./secrets";

const ALL_SCOPES: Scope[] = ["ingest", "read", "manage"];

const digest = (value: string) => crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));

/** Digests of configured tokens, computed once per token string (configuration, not request state). */
const tokenDigests = new Map<string, Promise<ArrayBuffer>>();
const digestOfToken = (token: string) => {
	let d = tokenDigests.get(token);
	if (!d) {
		d = digest(token);
		tokenDigests.set(token, d);
	}
	return d;
};

/** Compares digests (equal length) in constant time, against every token so timing tells nothing. */
const anyMatches = async (candidate: ArrayBuffer, tokens: string[]) => {
	let found = false;
	for (const token of tokens) {
		if (crypto.subtle.timingSafeEqual(candidate, await digestOfToken(token))) found = true;
	}
	return found;
};

/** Whether `token` is one of the configured admin tokens (constant time). */
export const isAdminToken = async (config: { adminTokens: string[] }, token: string) =>
	anyMatches(await digest(token), config.adminTokens);

/** The request's waitUntil, for refreshing a cache after the answer; none when called without an execution context. */
/** The request's waitUntil, for the caches' refreshes after the answer (none in a test without a context). */
export const waitUntilOf = (c: Context): WaitUntil | undefined => {
	try {
		const ctx = c.executionCtx;
		return (promise) => ctx.waitUntil(promise);
	} catch {
		return undefined;
	}
};

const bearerOf = (c: Context) => /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1];

/** The caller behind the bearer secret, or a 401 (503 while a required secret is missing). */
export const principalOf = async (c: Context<AppEnv>): Promise<Principal> => {
	const config = readConfig(c.env);
	const missing = missingSecrets(config);
	if (missing.length > 0) {
		throw new ProblemError(503, `Hookline is not configured: missing secret ${missing.join(", ")}.`);
	}
	const inProcess = inProcessPrincipal(c.req.raw);
	if (inProcess) return inProcess;
	const secret = bearerOf(c);
	if (!secret) throw new ProblemError(401, "Send `Authorization: Bearer <secret>` with an API key or a token.");
	if (isKeySecret(secret)) {
		const key = await keyByHash(c.env, await hashOfSecret(secret), waitUntilOf(c));
		if (!key || (key.expiresAt !== null && key.expiresAt <= Date.now())) {
			throw new ProblemError(401, "The API key is not known, revoked or expired.");
		}
		noteKeyUsed(c.env, key, (p) => c.executionCtx.waitUntil(p));
		return { tenantId: key.tenantId, scopes: key.scopes, keyId: key.id, label: `API key ${key.id}` };
	}
	const candidate = await digest(secret);
	const [admin, ingest] = await Promise.all([
		anyMatches(candidate, config.adminTokens),
		anyMatches(candidate, config.ingestTokens),
	]);
	if (admin) return { tenantId: null, scopes: ALL_SCOPES, label: "the admin token" };
	if (ingest) return { tenantId: null, scopes: ["ingest"], label: "the ingest token" };
	throw new ProblemError(401, "The bearer secret is not known.");
};

const requireScope = (c: Context, principal: Principal, scope: Scope) => {
	if (!hasScope(principal, scope)) {
		throw new ProblemError(
			403,
			`${principal.label} (scopes: ${principal.scopes.join(", ")}) lacks the ${scope} scope to ${c.req.method} ${c.req.path}.`,
		);
	}
};

/** The scope a tenant route needs: reads need `read`, everything else `manage`. */
export const scopeOfMethod = (method: string): Scope => (method === "GET" || method === "HEAD" ? "read" : "manage");

/**
 * For routes a tenant owns: authenticates, checks the scope (by method unless
 * given), and resolves the tenant into `c.var.access`.
 */
export const authorize = (scope?: Scope): MiddlewareHandler<AppEnv> =>
	async function authorize(c, next) {
		const principal = await principalOf(c);
		requireScope(c, principal, scope ?? scopeOfMethod(c.req.method));
		const named = c.req.param("tenantId");
		if (named !== undefined && principal.tenantId !== null && named !== principal.tenantId) {
			throw new ProblemError(403, `${principal.label} belongs to another tenant than ${named}.`);
		}
		const tenantId = named ?? principal.tenantId ?? DEFAULT_TENANT;
		const shard = await shardOfTenant(c.env, tenantId, waitUntilOf(c));
		if (shard === null) throw new ProblemError(404, `No tenant ${tenantId}.`);
		c.set("access", { principal, tenantId, shard: shardEnv(c.env, shard) } satisfies Access);
		await next();
	};

/** Routes that act for no one tenant name `default` and its shard, where an operator's unprefixed call lands. */
const defaultAccess = (env: Env, principal: Principal): Access => ({
	principal,
	tenantId: DEFAULT_TENANT,
	shard: shardEnv(env, DEFAULT_SHARD),
});

/** A 403 unless the caller is operator-wide. */
export const requireOperator = (principal: Principal) => {
	if (!isOperator(principal)) {
		throw new ProblemError(403, `${principal.label} belongs to a tenant; this route is the operator's.`);
	}
};

/** For routes of the whole deployment (tenants, metrics): operator secrets only. */
export const authorizeOperator = (scope?: Scope): MiddlewareHandler<AppEnv> =>
	async function authorizeOperator(c, next) {
		const principal = await principalOf(c);
		requireScope(c, principal, scope ?? scopeOfMethod(c.req.method));
		requireOperator(principal);
		c.set("access", defaultAccess(c.env, principal));
		await next();
	};

/** For routes that check the tenant themselves (API keys): authenticates and checks the scope only. */
export const authenticate = (scope?: Scope): MiddlewareHandler<AppEnv> =>
	async function authenticate(c, next) {
		const principal = await principalOf(c);
		requireScope(c, principal, scope ?? scopeOfMethod(c.req.method));
		c.set("access", { ...defaultAccess(c.env, principal), tenantId: principal.tenantId ?? DEFAULT_TENANT });
		await next();
	};
