// Console sessions: the admin token is exchanged once for a signed,
// HttpOnly, SameSite=Strict cookie (Secure over https) that expires. The
// cookie names which admin token signed in (a digest prefix), so removing a
// token from ADMIN_TOKEN ends its sessions too. Every form carries a CSRF
// token derived from the session; hono/csrf also refuses cross-origin posts.
// The signing key is derived from ENCRYPTION_KEY for sessions alone (never the
// sealing key): the first key signs, every listed key verifies, so a session
// lasts through a rotation until its key is dropped.
import type { Context } from "hono";
import { deleteCookie, getSignedCookie, setSignedCookie } from "hono/cookie";
import type { Config } from "../config";
import { keyring } from "../secrets/keyring";

const COOKIE = "hookline_session";
export const SESSION_SECONDS = 8 * 3600;

const encoder = new TextEncoder();
const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

/** Session secrets, one per key of ENCRYPTION_KEY, the one that signs first. */
const secretsOf = async (config: Config) => (await keyring(config.encryptionKey)).map((key) => key.session);

const tagOf = async (token: string) =>
	hex(await crypto.subtle.digest("SHA-256", encoder.encode(`console:${token}`))).slice(0, 16);

const hmac = async (secret: Uint8Array, text: string) => {
	const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
	return hex(await crypto.subtle.sign("HMAC", key, encoder.encode(text)));
};

export type Session = { nonce: string; expiresAt: number; csrf: string };

export const startSession = async (c: Context, config: Config, token: string) => {
	const expiresAt = Date.now() + SESSION_SECONDS * 1000;
	const value = `${expiresAt}.${crypto.randomUUID()}.${await tagOf(token)}`;
	const [secret] = await secretsOf(config);
	if (!secret) throw new Error("ENCRYPTION_KEY lists no key");
	await setSignedCookie(c, COOKIE, value, secret, {
		httpOnly: true,
		sameSite: "Strict",
		secure: new URL(c.req.url).protocol === "https:",
		path: "/console",
		maxAge: SESSION_SECONDS,
	});
};

export const endSession = (c: Context) => {
	deleteCookie(c, COOKIE, { path: "/console" });
};

export const readSession = async (c: Context, config: Config): Promise<Session | undefined> => {
	if (!config.encryptionKey) return undefined;
	let value: string | undefined;
	let signedWith: Uint8Array | undefined;
	for (const secret of await secretsOf(config)) {
		const verified = await getSignedCookie(c, secret, COOKIE);
		if (verified === undefined) return undefined;
		if (verified !== false) {
			value = verified;
			signedWith = secret;
			break;
		}
	}
	if (!value || !signedWith) return undefined;
	const [expires, nonce, tag] = value.split(".");
	const expiresAt = Number(expires);
	if (!nonce || !tag || !Number.isFinite(expiresAt) || expiresAt < Date.now()) return undefined;
	const current = await Promise.all(config.adminTokens.map(tagOf));
	if (!current.includes(tag)) return undefined;
	return { nonce, expiresAt, csrf: await hmac(signedWith, `csrf:${nonce}`) };
};
