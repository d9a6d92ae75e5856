// Standard Webhooks signatures: `v1,` + base64 HMAC-SHA256 of
// `${id}.${timestamp}.${body}`, keyed by the base64 part of a `whsec_` secret.
import { fromBase64, toBase64 } from "../base64";

/**
 * Imported HMAC keys by secret: a webhook's secret changes rarely, its sends
 * are many. Keys are kept, never promises, so no request awaits another's work.
 */
const keys = new Map<string, CryptoKey>();
const KEYS_KEPT = 1000;

const hmacKey = async (secret: string) => {
	const kept = keys.get(secret);
	if (kept) return kept;
	const key = await crypto.subtle.importKey(
		"raw",
		fromBase64(secret.replace(/^whsec_/, "")),
		{ name: "HMAC", hash: "SHA-256" },
		false,
		["sign"],
	);
	if (keys.size >= KEYS_KEPT) keys.clear();
	keys.set(secret, key);
	return key;
};

const signPayload = async (secret: string, id: string, timestamp: number, body: string) => {
	const key = await hmacKey(secret);
	const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${id}.${timestamp}.${body}`));
	return `v1,${toBase64(new Uint8Array(mac))}`;
};

/** The headers added at send time: fresh on every attempt, never stored. */
export const signatureHeaders = async (secrets: string[], id: string, body: string, now = Date.now()) => {
	const timestamp = Math.floor(now / 1000);
	const signatures = await Promise.all(secrets.map((s) => signPayload(s, id, timestamp, body)));
	return {
		"webhook-id": id,
		"webhook-timestamp": String(timestamp),
		"webhook-signature": signatures.join(" "),
	};
};
