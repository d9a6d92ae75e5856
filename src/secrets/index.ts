// Secrets at rest: Basic-auth passwords and signing secrets are sealed with
// AES-GCM under ENCRYPTION_KEY (base64 of 32 bytes), so a database dump alone
// reveals none of them. Sealed form: `v1.<base64 iv>.<base64 ciphertext>`.
import { fromBase64, toBase64 } from "../base64";
import { ProblemError } from "../http/problem";

const keys = new Map<string, Promise<CryptoKey>>();

const importKey = (encryptionKey: string) => {
	let key = keys.get(encryptionKey);
	if (!key) {
		let raw: Uint8Array;
		try {
			raw = fromBase64(encryptionKey.trim());
		} catch {
			raw = new Uint8Array();
		}
		if (raw.length !== 32) {
			throw new ProblemError(503, "ENCRYPTION_KEY must be the base64 encoding of 32 random bytes.");
		}
		key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
		keys.set(encryptionKey, key);
	}
	return key;
};

export const seal = async (plaintext: string, encryptionKey: string) => {
	const iv = crypto.getRandomValues(new Uint8Array(12));
	const key = await importKey(encryptionKey);
	const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode(plaintext));
	return `v1.${toBase64(iv)}.${toBase64(new Uint8Array(sealed))}`;
};

export const unseal = async (sealed: string, encryptionKey: string) => {
	const [version, iv, data] = sealed.split(".");
	if (version !== "v1" || !iv || !data) throw new Error("sealed secret has an unknown format");
	const key = await importKey(encryptionKey);
	const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64(iv) }, key, fromBase64(data));
	return new TextDecoder().decode(plain);
};

/** A Standard Webhooks signing secret: `whsec_` + base64 of 24 random bytes. */
export const newSigningSecret = () => `whsec_${toBase64(crypto.getRandomValues(new Uint8Array(24)))}`;
