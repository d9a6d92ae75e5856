// API key secrets: `hk_` and 32 random bytes (base64url), shown once; only the
// SHA-256 is stored, and a short prefix tells keys apart in a list.
import { toBase64Url } from "../base64";

const PREFIX_CHARS = 11;

const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

export const isKeySecret = (secret: string) => /^hk_[A-Za-z0-9_-]{43}$/.test(secret);

export const newKeySecret = () => `hk_${toBase64Url(crypto.getRandomValues(new Uint8Array(32)))}`;

export const hashOfSecret = async (secret: string) =>
	hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret)));

export const prefixOf = (secret: string) => secret.slice(0, PREFIX_CHARS);
