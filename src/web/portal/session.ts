// Portal sessions. Opening a link exchanges its token for a signed cookie that
// names the tenant, whether the link was read-only, and when the link expires:
// the session ends then too, whatever the browser keeps. The cookie is
// HttpOnly; SameSite=None and Secure, because the portal must work in a
// platform's iframe, where Chromium sends only such cookies (browsers treat
// http://localhost and 127.0.0.1 as secure, so it works locally too); and
// Partitioned (CHIPS), so a session started inside one platform's frame is
// that top-level site's alone and survives third-party-cookie blocking. Its
// path is the tenant's pages, so two tenants' sessions live side by side.
// With SameSite=None the cookie rides on cross-site requests: every form
// carries a CSRF token derived from the session, which no other site can read.
// The key is derived from ENCRYPTION_KEY for portal sessions alone.
import type { Context } from "hono";
import { deleteCookie, getSignedCookie, setSignedCookie } from "hono/cookie";
import type { PortalGrant } from "../../access/portal-link";
import type { Config } from "../../config";
import { keyring } from "../../secrets/keyring";

const COOKIE = "hookline_portal";
/**
 * The browser keeps an ended session's cookie this long past its end, so the
 * page saying it ended can be framed for the tenant's portal origins; the
 * server refuses the session from its end on.
 */
const KEEP_ENDED_SECONDS = 86_400;

export type PortalSession = PortalGrant & { csrf: string };

/** Where a tenant's portal pages live (tenant ids need no encoding). */
export const portalBase = (tenantId: string) => `/portal/tenants/${tenantId}`;

const encoder = new TextEncoder();
const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

const secretsOf = async (config: Config) => (await keyring(config.encryptionKey)).map((key) => key.portalSession);

const csrfOf = async (secret: Uint8Array, nonce: string) => {
	const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
	return hex(await crypto.subtle.sign("HMAC", key, encoder.encode(`portal-csrf:${nonce}`)));
};

const cookieOptions = (tenantId: string) =>
	({ path: portalBase(tenantId), httpOnly: true, secure: true, sameSite: "None", partitioned: true }) as const;

export const startPortalSession = async (c: Context, config: Config, grant: PortalGrant) => {
	const [secret] = await secretsOf(config);
	if (!secret) throw new Error("ENCRYPTION_KEY lists no key");
	const value = `${grant.tenantId}.${grant.readOnly ? "r" : "w"}.${grant.expiresAt}.${crypto.randomUUID()}`;
	const seconds = Math.max(0, Math.ceil((grant.expiresAt - Date.now()) / 1000));
	await setSignedCookie(c, COOKIE, value, secret, {
		...cookieOptions(grant.tenantId),
		maxAge: seconds + KEEP_ENDED_SECONDS,
	});
};

export const endPortalSession = (c: Context, tenantId: string) => {
	deleteCookie(c, COOKIE, cookieOptions(tenantId));
};

/**
 * The session the request carries for `tenantId`: `open`, `ended` (signed, for
 * this tenant, past its end), or `none` (no cookie, a forged or foreign one).
 */
export const readPortalSession = async (
	c: Context,
	config: Config,
	tenantId: string,
	now = Date.now(),
): Promise<{ state: "open"; session: PortalSession } | { state: "ended" } | { state: "none" }> => {
	for (const secret of await secretsOf(config)) {
		const value = await getSignedCookie(c, secret, COOKIE);
		if (value === undefined) return { state: "none" };
		if (value === false) continue;
		const [tenant, mode, expires, nonce] = value.split(".");
		const expiresAt = Number(expires);
		if (tenant !== tenantId || (mode !== "r" && mode !== "w") || !nonce || !Number.isSafeInteger(expiresAt))
			return { state: "none" };
		if (expiresAt <= now) return { state: "ended" };
		const session = { tenantId, readOnly: mode === "r", expiresAt, csrf: await csrfOf(secret, nonce) };
		return { state: "open", session };
	}
	return { state: "none" };
};
