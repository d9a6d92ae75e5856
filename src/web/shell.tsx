// What the console and the tenant portal put around their pages alike: the
// Content-Security-Policy (the two differ only in who may frame them), the form
// body cap (413 before anything is parsed), `Cache-Control: no-store` on every
// page and form answer, the static assets, and the one error page.
import type { Context, ErrorHandler, Hono, Env as HonoEnv, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { ProblemError, problemResponse } from "../http/problem";
import { PREVIEW_SCRIPT, STYLE } from "./assets";
import { Layout } from "./components/layout";

/** Every directive but frame-ancestors: one script (/console/assets/preview.js), no inline script, no eval. */
export const PAGE_CSP = {
	defaultSrc: ["'none'"],
	scriptSrc: ["'self'"],
	connectSrc: ["'self'"],
	styleSrc: ["'self'"],
	imgSrc: ["'self'", "data:"],
	formAction: ["'self'"],
	baseUri: ["'none'"],
};

/** The policy as a header value, with `frameAncestors` placed as hono/secure-headers places it for the console. */
export const cspHeader = (frameAncestors: string[]) => {
	const { baseUri, ...rest } = PAGE_CSP;
	return Object.entries({ ...rest, frameAncestors, baseUri })
		.map(([name, values]) => `${name.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`)} ${values.join(" ")}`)
		.join("; ");
};

/** The largest form either app reads: the webhook form with a long payload template fits well inside. */
export const MAX_FORM_BYTES = 64 * 1024;

export const formBodyLimit = () =>
	bodyLimit({
		maxSize: MAX_FORM_BYTES,
		onError: () => {
			throw new ProblemError(413, `The form is over ${MAX_FORM_BYTES} bytes.`);
		},
	});

/**
 * Pages show webhooks, stored requests and a signing secret once: none of it
 * belongs in a browser's or a proxy's cache. An answer that sets its own
 * Cache-Control (the assets) keeps it.
 */
export const noStore: MiddlewareHandler = async function noStore(c, next) {
	await next();
	if (!c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "no-store");
};

/** The request's ExecutionContext, if it has one: app.request() in tests has none, and Hono throws when asked. */
export const executionCtxOf = (c: Context) => {
	try {
		return c.executionCtx;
	} catch {
		return undefined;
	}
};

const asset = (type: string) => ({ "content-type": `${type}; charset=utf-8`, "cache-control": "public, max-age=300" });

/** The stylesheet and the live-preview script, at /console/assets/ (the portal's pages load them from there too). */
export const serveAssets = <E extends HonoEnv>(app: Hono<E>) => {
	app.get("/assets/preview.js", (c) => c.body(PREVIEW_SCRIPT, 200, asset("text/javascript")));
	app.get("/assets/style.css", (c) => c.body(STYLE, 200, asset("text/css")));
};

/** Problems as problem+json, hono/csrf's own 403, and anything else as a short error page (the error goes to the log). */
export const pageErrors =
	(app: "console" | "portal"): ErrorHandler =>
	(err, c) => {
		if (err instanceof ProblemError) return problemResponse(c, err.problem);
		if (err instanceof HTTPException) return err.getResponse();
		console.error(JSON.stringify({ msg: `${app} error`, path: c.req.path, error: String(err) }));
		return c.html(
			<Layout title="Error">
				<h1>Something went wrong</h1>
				<p>The {app} could not show this page. The error is in the worker's log.</p>
			</Layout>,
			500,
		);
	};
