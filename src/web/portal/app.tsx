// The tenant portal at /portal: what a platform hands one of its customers so it
// manages its own webhooks without an account on Hookline. A link
// (/portal/open/{token}, from POST …/portal-links) starts a session for that
// tenant alone; the session's pages live under /portal/tenants/{tenantId}/…
// and are the console's own (webhooks, history, re-send, sender IPs), with an
// API client bound to the session's tenant that calls the API in-process as
// that tenant (read and manage, or read alone for a read-only link), never as
// the operator. No tenants, keys or picker. A read-only session's changes are
// refused here (403) and, should one get through, by the API.
//
// The protections are the console's (shell.tsx): a strict Content-Security-
// Policy, hono/csrf and a CSRF token in every form, escaping, no-store, a body
// cap. The one difference is framing: `frame-ancestors 'self'` and the
// tenant's portalOrigins, so the platform may embed the portal in an iframe.

import { type Context, Hono, type MiddlewareHandler } from "hono";
import { csrf } from "hono/csrf";
import { secureHeaders } from "hono/secure-headers";
import { portalTenantOf } from "../../access/lookup";
import { readPortalLink } from "../../access/portal-link";
import type { Principal } from "../../access/principal";
import { TENANT_ID } from "../../access/schema";
import { readConfig } from "../../config";
import { tenantRegion } from "../../regions";
import { type ApiFetch, apiClient } from "../api-client";
import { tenantPagesApp } from "../pages/tenant-pages";
import type { WebEnv } from "../render";
import { cspHeader, executionCtxOf, formBodyLimit, noStore, pageErrors } from "../shell";
import { linkRefused, portalHome, readOnlyRefused, sessionEnded } from "./notices";
import { endPortalSession, portalBase, readPortalSession, startPortalSession } from "./session";

/** Pages that exist only to change something: a read-only session does not get them. */
const CHANGE_PAGES = /^\/(webhooks\/new|webhooks\/[^/]+\/delete|notifications\/resend)$/;

const waitUntilOf = (c: Context) => {
	const ctx = executionCtxOf(c);
	return ctx ? (promise: Promise<unknown>) => ctx.waitUntil(promise) : undefined;
};

/**
 * Who may frame the answer: 'self' and, once the request has proven its tenant
 * (a signed link or session, open or ended), that tenant's portalOrigins. Set
 * last, over every answer, errors included.
 */
const framing: MiddlewareHandler<WebEnv> = async function framing(c, next) {
	await next();
	const origins = c.get("frameAncestors") ?? [];
	c.res.headers.set("content-security-policy", cspHeader(["'self'", ...origins]));
	// frame-ancestors decides; X-Frame-Options would refuse every other origin in browsers that still read it.
	if (origins.length === 0) c.res.headers.set("x-frame-options", "SAMEORIGIN");
	else c.res.headers.delete("x-frame-options");
};

/** A link opens a session for its tenant and leads to its webhooks; the token leaves the address bar. */
const openLink = (app: Hono<WebEnv>) =>
	app.get("/open/:token", async (c) => {
		const config = readConfig(c.env);
		const link = await readPortalLink(config.encryptionKey, c.req.param("token"));
		if (!link) return linkRefused(c, "invalid");
		const tenant = await portalTenantOf(c.env, link.grant.tenantId, waitUntilOf(c));
		if (!tenant) return linkRefused(c, "invalid");
		c.set("frameAncestors", tenant.portalOrigins);
		if (link.expired) return linkRefused(c, "expired");
		await startPortalSession(c, config, link.grant);
		return c.redirect(`${portalBase(link.grant.tenantId)}/webhooks`, 303);
	});

/** In front of every page of /portal/tenants/{id}: the session, its CSRF token, read-only refusals, the API client. */
const sessionGate = (api: ApiFetch): MiddlewareHandler<WebEnv> =>
	async function portalGate(c, next) {
		const tenantId = c.req.param("tenantId") ?? "";
		const tenant = TENANT_ID.test(tenantId) ? await portalTenantOf(c.env, tenantId, waitUntilOf(c)) : null;
		const config = readConfig(c.env);
		const read = tenant ? await readPortalSession(c, config, tenantId) : { state: "none" as const };
		if (tenant && read.state !== "none") c.set("frameAncestors", tenant.portalOrigins);
		if (!tenant || read.state !== "open") return sessionEnded(c);
		const { session } = read;
		const base = portalBase(tenantId);
		c.set("session", session);
		c.set("base", base);
		c.set("picker", undefined);
		c.set("shell", {
			kind: "portal",
			tenantName: tenant.name,
			tenantRegion: tenantRegion(config.regions, tenant.region),
			readOnly: session.readOnly,
			endsAt: session.expiresAt,
		});
		const rest = c.req.path.slice(base.length);
		if (c.req.method === "POST") {
			const form = await c.req.parseBody();
			if (form._csrf !== session.csrf)
				return c.text("The form's CSRF token is missing or wrong; reload the page.", 403);
			if (session.readOnly && rest !== "/logout") return readOnlyRefused(c);
		} else if (session.readOnly && CHANGE_PAGES.test(rest)) return readOnlyRefused(c);
		const principal: Principal = {
			tenantId,
			scopes: session.readOnly ? ["read"] : ["read", "manage"],
			label: `the portal session of tenant ${tenantId}${session.readOnly ? " (read-only)" : ""}`,
		};
		c.set("api", apiClient({ fetch: api, env: c.env, ctx: executionCtxOf(c), principal, tenantId }));
		await next();
	};

export const portalApp = ({ api }: { api: ApiFetch }) => {
	const app = new Hono<WebEnv>();
	app.use("*", framing);
	app.use("*", secureHeaders({ xFrameOptions: false, referrerPolicy: "same-origin" }));
	app.use("*", noStore);
	app.use("*", formBodyLimit());
	// The portal's forms post from its own pages, framed or not: their origin is Hookline's.
	app.use("*", csrf());
	app.get("/", portalHome);
	openLink(app);
	// Also in front of /tenants/:tenantId itself: Hono's `/*` matches the bare path too.
	app.use("/tenants/:tenantId/*", sessionGate(api));
	app.get("/tenants/:tenantId", (c) => c.redirect(`${c.get("base")}/webhooks`, 303));
	app.post("/tenants/:tenantId/logout", (c) => {
		endPortalSession(c, c.req.param("tenantId"));
		return sessionEnded(c);
	});
	app.route("/tenants/:tenantId", tenantPagesApp());
	app.onError(pageErrors("portal"));
	return app;
};
