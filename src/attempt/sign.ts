// Standard Webhooks signatures: `v1,` + base64 HMAC-SHA256 of
// `${id}.${timestamp}.${body}`, keyed by the base64 part of a `whsec_` secret.
import { fromBase64, toBase64 } from "../base64";
import { hmacKeyCache } from "../security/hmac-keys";

/** A webhook's signing key, imported once per secret (../security/hmac-keys.ts). */
const hmacKey = hmacKeyCache((secret) => fromBase64(secret.replace(/^whsec_/, "")));

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
