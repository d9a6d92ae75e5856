// The console's app shell at /console: a strict Content-Security-Policy, CSRF
// protection (hono/csrf refuses cross-origin posts; every form also carries the
// session's token), sign-in and sign-out, the session gate in front of every
// page, and, shared with the tenant portal (shell.tsx), the two assets and the
// one error page. Bodies are capped (CONSOLE_MAX_BODY_BYTES, 413) and no page
// or form answer is cached (`Cache-Control: no-store`; the assets keep a public
// cache). The console is never framed (`frame-ancestors 'none'`). The pages read and change
// everything through the API, which src/app.ts hands in as `api` (its fetch,
// called in-process), so nothing here depends on how the API is mounted. A
// tenant's pages answer twice, as the API's routes do: /console/… for `default`
// and /console/tenants/{id}/… for that tenant (tenant-scope.tsx).
import { Hono } from "hono";
import { csrf } from "hono/csrf";
import { secureHeaders } from "hono/secure-headers";
import { isAdminToken } from "../access/authorize";
import { readConfig } from "../config";
import type { ApiConnection, ApiFetch } from "./api-client";
import { operatorClient } from "./operator-client";
import { keyListPage } from "./pages/key-list";
import { LoginPage } from "./pages/login";
import { tenantDeletePage } from "./pages/tenant-delete";
import { tenantListPage } from "./pages/tenant-list";
import { tenantPagesApp } from "./pages/tenant-pages";
import type { WebContext, WebEnv } from "./render";
import { endSession, readSession, startSession } from "./session";
import { executionCtxOf, formBodyLimit, MAX_FORM_BYTES, noStore, PAGE_CSP, pageErrors, serveAssets } from "./shell";
import { pickTarget, SECTIONS, tenantScope } from "./tenant-scope";

/** The console is never framed. */
const CONTENT_SECURITY_POLICY = { ...PAGE_CSP, frameAncestors: ["'none'"] };

/** The largest form the console reads: the webhook form with a long payload template fits well inside. */
export const CONSOLE_MAX_BODY_BYTES = MAX_FORM_BYTES;

const signIn = (app: Hono<WebEnv>) => {
	app.get("/login", (c) => c.html(<LoginPage />));
	app.post("/login", async (c) => {
		const config = readConfig(c.env);
		const form = await c.req.parseBody();
		const token = typeof form.token === "string" ? form.token.trim() : "";
		if (!config.encryptionKey || config.adminTokens.length === 0)
			return c.html(
				<LoginPage error="Hookline is not configured: ADMIN_TOKEN and ENCRYPTION_KEY are required." />,
				503,
			);
		if (!token || !(await isAdminToken(config, token)))
			return c.html(<LoginPage error="That is not an admin token." />, 401);
		await startSession(c, config, token);
		return c.redirect("/console/webhooks", 303);
	});
};

/** The console acts as the operator: the API sees the first admin token. */
const connectionOf = (c: WebContext, api: ApiFetch): ApiConnection => ({
	fetch: api,
	env: c.env,
	ctx: executionCtxOf(c),
	token: readConfig(c.env).adminTokens[0] ?? "",
});

/** Everything registered after this needs a session; a form post also needs its CSRF token. */
const sessionGate = (app: Hono<WebEnv>, api: ApiFetch) =>
	app.use("*", async (c, next) => {
		const config = readConfig(c.env);
		const session = await readSession(c, config);
		if (!session) return c.redirect("/console/login", 303);
		if (c.req.method === "POST") {
			const form = await c.req.parseBody();
			if (form._csrf !== session.csrf)
				return c.text("The form's CSRF token is missing or wrong; reload the page.", 403);
		}
		c.set("session", session);
		c.set("shell", { kind: "console" });
		c.set("operator", operatorClient(connectionOf(c, api)));
		await next();
	});

/** The pages that act for one tenant, each section behind its tenant scope, for `default` and under /tenants/{id}. */
const tenantPages = (app: Hono<WebEnv>, api: ApiFetch) => {
	const pages = tenantPagesApp([keyListPage]);
	for (const prefix of ["/tenants/:tenantId", ""]) {
		for (const section of SECTIONS)
			app.use(`${prefix}/${section}/*`, tenantScope({ connect: (c) => connectionOf(c, api), section }));
		app.route(prefix || "/", pages);
	}
	app.get("/tenants/:tenantId", (c) => c.redirect(pickTarget(c.req.param("tenantId"), "webhooks"), 303));
};

export const consoleApp = ({ api }: { api: ApiFetch }) => {
	const app = new Hono<WebEnv>();
	app.use("*", secureHeaders({ contentSecurityPolicy: CONTENT_SECURITY_POLICY, referrerPolicy: "same-origin" }));
	app.use("*", noStore);
	app.use("*", formBodyLimit());
	app.use("*", csrf());
	serveAssets(app);
	signIn(app);
	sessionGate(app, api);
	app.post("/logout", (c) => {
		endSession(c);
		return c.redirect("/console/login", 303);
	});
	app.get("/", (c) => c.redirect("/console/webhooks", 303));
	// The picker only navigates: the chosen tenant's pages, same section.
	app.get("/pick", (c) => c.redirect(pickTarget(c.req.query("tenant"), c.req.query("section")), 303));
	app.route("/", tenantListPage);
	app.route("/", tenantDeletePage);
	tenantPages(app, api);
	app.onError(pageErrors("console"));
	return app;
};
