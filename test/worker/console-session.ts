// A signed-in console session for the worker tests: sign-in with an admin
// token, pages fetched with its cookie, and forms posted with its CSRF token.
import { env } from "cloudflare:workers";
import { app } from "../../src/app";

/** A urlencoded form; pairs allow a field posted several times (checkboxes). */
export const form = (fields: Record<string, string> | [string, string][]) => new URLSearchParams(fields).toString();

export const signIn = async (token = "test-admin-token", bindings: Env = env) => {
	const res = await app.request(
		"/console/login",
		{
			method: "POST",
			headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://localhost" },
			body: form({ token }),
		},
		bindings,
	);
	return { res, cookie: (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "" };
};

export const get = (path: string, cookie: string, bindings: Env = env) =>
	app.request(path, { headers: { cookie } }, bindings);

/** A same-origin form post with the session's cookie (the CSRF token, if any, is one of the fields). */
export const post = (path: string, cookie: string, body: string) =>
	app.request(
		path,
		{
			method: "POST",
			headers: { cookie, origin: "http://localhost", "content-type": "application/x-www-form-urlencoded" },
			body,
		},
		env,
	);

/** The session's CSRF token, as every signed-in page's forms carry it. */
export const csrfOf = async (cookie: string) => {
	const html = await (await get("/console/sender-ips", cookie)).text();
	const token = /name="_csrf" value="([0-9a-f]+)"/.exec(html)?.[1];
	if (!token) throw new Error("no CSRF token on the page");
	return token;
};
