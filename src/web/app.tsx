// The console's app shell at /console: a strict Content-Security-Policy, CSRF
// protection (hono/csrf refuses cross-origin posts; every form also carries the
// session's token), sign-in and sign-out, the session gate in front of every
// page, the two assets and the one error page. Bodies are capped
// (CONSOLE_MAX_BODY_BYTES, 413) and no page or form answer is cached
// (`Cache-Control: no-store`; the assets keep a public cache). The pages read and change
// everything through the API, which src/app.ts hands in as `api` (its fetch,
// called in-process), so nothing here depends on how the API is mounted.
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import { isAdminToken } from "../access/authorize";
import { readConfig } from "../config";
import { ProblemError, problemResponse } from "../http/problem";
import { type ApiFetch, apiClient } from "./api-client";
import { PREVIEW_SCRIPT, STYLE } from "./assets";
import { Layout } from "./components/layout";
import { bulkResendPage } from "./pages/bulk-resend";
import { LoginPage } from "./pages/login";
import { notificationDetailPage } from "./pages/notification-detail";
import { notificationListPage } from "./pages/notification-list";
import { senderIpsPage } from "./pages/sender-ips";
import { webhookDeletePage } from "./pages/webhook-delete";
import { webhookDetailPage } from "./pages/webhook-detail";
import { webhookFormPage } from "./pages/webhook-form";
import { webhookListPage } from "./pages/webhook-list";
import type { WebEnv } from "./render";
import { endSession, readSession, startSession } from "./session";

const CONTENT_SECURITY_POLICY = {
	defaultSrc: ["'none'"],
	// One script, /console/assets/preview.js: no inline script, no eval.
	scriptSrc: ["'self'"],
	connectSrc: ["'self'"],
	styleSrc: ["'self'"],
	imgSrc: ["'self'", "data:"],
	formAction: ["'self'"],
	frameAncestors: ["'none'"],
	baseUri: ["'none'"],
};

/** The largest form the console reads: the webhook form with a long payload template fits well inside. */
export const CONSOLE_MAX_BODY_BYTES = 64 * 1024;

const asset = (type: string) => ({ "content-type": `${type}; charset=utf-8`, "cache-control": "public, max-age=300" });

/**
 * Pages show webhooks, stored requests and a signing secret once: none of it
 * belongs in a browser's or a proxy's cache. An answer that sets its own
 * Cache-Control (the assets) keeps it.
 */
const noStore: MiddlewareHandler = async function noStore(c, next) {
	await next();
	if (!c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "no-store");
};

/** The request's ExecutionContext, if it has one: app.request() in tests has none, and Hono throws when asked. */
const executionCtxOf = (c: Context) => {
	try {
		return c.executionCtx;
	} catch {
		return undefined;
	}
};

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
		// The console acts as the operator: the API sees the first admin token.
		const token = config.adminTokens[0] ?? "";
		c.set("api", apiClient({ fetch: api, env: c.env, ctx: executionCtxOf(c), token }));
		await next();
	});

export const consoleApp = ({ api }: { api: ApiFetch }) => {
	const app = new Hono<WebEnv>();
	app.use("*", secureHeaders({ contentSecurityPolicy: CONTENT_SECURITY_POLICY, referrerPolicy: "same-origin" }));
	app.use("*", noStore);
	app.use(
		"*",
		bodyLimit({
			maxSize: CONSOLE_MAX_BODY_BYTES,
			onError: () => {
				throw new ProblemError(413, `The form is over ${CONSOLE_MAX_BODY_BYTES} bytes.`);
			},
		}),
	);
	app.use("*", csrf());
	app.get("/assets/preview.js", (c) => c.body(PREVIEW_SCRIPT, 200, asset("text/javascript")));
	app.get("/assets/style.css", (c) => c.body(STYLE, 200, asset("text/css")));
	signIn(app);
	sessionGate(app, api);
	app.post("/logout", (c) => {
		endSession(c);
		return c.redirect("/console/login", 303);
	});
	app.get("/", (c) => c.redirect("/console/webhooks", 303));
	// Fixed paths before the `:id` ones they would otherwise match (/webhooks/new, /notifications/resend).
	for (const pages of [
		webhookListPage,
		webhookFormPage,
		webhookDeletePage,
		webhookDetailPage,
		notificationListPage,
		bulkResendPage,
		notificationDetailPage,
		senderIpsPage,
	])
		app.route("/", pages);
	app.onError((err, c) => {
		if (err instanceof ProblemError) return problemResponse(c, err.problem);
		// hono/csrf refuses a cross-origin post with a 403 of its own.
		if (err instanceof HTTPException) return err.getResponse();
		console.error(JSON.stringify({ msg: "console error", path: c.req.path, error: String(err) }));
		return c.html(
			<Layout title="Error">
				<h1>Something went wrong</h1>
				<p>The console could not show this page. The error is in the worker's log.</p>
			</Layout>,
			500,
		);
	});
	return app;
};
