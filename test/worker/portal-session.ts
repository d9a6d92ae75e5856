// A tenant portal session for the worker tests: a link made through the API,
// opened for its cookie, pages fetched with it, and forms posted with the
// session's CSRF token.
import { env } from "cloudflare:workers";
import { app } from "../../src/app";
import { form } from "./console-session";
import { ADMIN, api } from "./helpers";

export { form };

export type PortalLinkJson = { url: string; expiresAt: string; readOnly: boolean };

/** POST …/portal-links as `token` (the admin by default) → the answer. */
export const makeLink = (
	tenantId: string | null,
	body: Record<string, unknown> | undefined = {},
	{ token = ADMIN }: { token?: string } = {},
) =>
	api(tenantId === null ? "/v1/portal-links" : `/v1/tenants/${tenantId}/portal-links`, {
		method: "POST",
		token,
		body,
	});

/** A link for `tenantId`, as its path (/portal/open/…). */
export const linkFor = async (tenantId: string, body: Record<string, unknown> = {}) => {
	const res = await makeLink(tenantId, body);
	if (res.status !== 201) throw new Error(`portal link: ${res.status} ${await res.text()}`);
	return new URL(((await res.json()) as PortalLinkJson).url).pathname;
};

export const get = (path: string, cookie = "", headers: Record<string, string> = {}) =>
	app.request(path, { headers: { cookie, ...headers } }, env);

/** A form post from the portal's own origin (the app's test origin), with `cookie`. */
export const post = (path: string, cookie: string, fields: Record<string, string>, origin = "http://localhost") =>
	app.request(
		path,
		{
			method: "POST",
			headers: { cookie, origin, "content-type": "application/x-www-form-urlencoded" },
			body: form(fields),
		},
		env,
	);

/** Opens a link path: the answer, and the session cookie it set (name=value). */
export const open = async (linkPath: string) => {
	const res = await get(linkPath);
	return { res, cookie: (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "" };
};

/** Opens a fresh link for `tenantId`: the cookie, the session's CSRF token and where its pages live. */
export const session = async (tenantId: string, body: Record<string, unknown> = {}) => {
	const { res, cookie } = await open(await linkFor(tenantId, body));
	if (res.status !== 303 || !cookie) throw new Error(`opening the link answered ${res.status}`);
	const base = `/portal/tenants/${tenantId}`;
	const html = await (await get(`${base}/sender-ips`, cookie)).text();
	const _csrf = /name="_csrf" value="([0-9a-f]+)"/.exec(html)?.[1];
	if (!_csrf) throw new Error("no CSRF token on the portal page");
	return { cookie, _csrf, base };
};
