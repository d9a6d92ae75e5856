// Console sessions: the admin token is exchanged once for a signed,
// HttpOnly, SameSite=Strict cookie (Secure over https) that expires. The
// cookie names which admin token signed in (a digest prefix), so removing a
// token from ADMIN_TOKEN ends its sessions too. Every form carries a CSRF
// token derived from the session; hono/csrf also refuses cross-origin posts.
import type { Context } from "hono";
import { deleteCookie, getSignedCookie, setSignedCookie } from "hono/cookie";
import type { Config } from "../config";

const COOKIE = "hookline_session";
export const SESSION_SECONDS = 8 * 3600;

const encoder = new TextEncoder();
const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

const secretOf = (config: Config) => `hookline-console-session:${config.encryptionKey}`;

const tagOf = async (token: string) =>
	hex(await crypto.subtle.digest("SHA-256", encoder.encode(`console:${token}`))).slice(0, 16);

const hmac = async (secret: string, text: string) => {
	const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
		"sign",
	]);
	return hex(await crypto.subtle.sign("HMAC", key, encoder.encode(text)));
};

export type Session = { nonce: string; expiresAt: number; csrf: string };

export const startSession = async (c: Context, config: Config, token: string) => {
	const expiresAt = Date.now() + SESSION_SECONDS * 1000;
	const value = `${expiresAt}.${crypto.randomUUID()}.${await tagOf(token)}`;
	await setSignedCookie(c, COOKIE, value, secretOf(config), {
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
	const value = await getSignedCookie(c, secretOf(config), COOKIE);
	if (!value) return undefined;
	const [expires, nonce, tag] = value.split(".");
	const expiresAt = Number(expires);
	if (!nonce || !tag || !Number.isFinite(expiresAt) || expiresAt < Date.now()) return undefined;
	const current = await Promise.all(config.adminTokens.map(tagOf));
	if (!current.includes(tag)) return undefined;
	return { nonce, expiresAt, csrf: await hmac(secretOf(config), `csrf:${nonce}`) };
};
