// Secrets at rest: Basic-auth passwords and signing secrets are sealed with
// AES-GCM, so a database dump alone reveals none of them, and each is bound to
// its row and column, so a sealed value copied to another webhook (or another
// column) does not open there.
//
//   v2.<key id>.<base64 iv>.<base64 ciphertext>   sealed under the key derived for sealing
//       from the master key <key id> names (./keyring.ts), with the additional
//       authenticated data `webhook:<webhook id>:<column>`
//   v1.<base64 iv>.<base64 ciphertext>            the first form: under a master key itself,
//       bound to nothing. It still opens, under any key of ENCRYPTION_KEY, and is sealed
//       in the v2 form on the next write of its webhook (or by POST /v1/webhooks/reseal).
import { fromBase64, toBase64 } from "../base64";
import { keyring, primaryKey } from "./keyring";

/** The sealed columns of a webhook, by the names the binding uses. */
export type SealedColumn = "secret" | "previous_secret" | "auth_password";

/** Where a sealed value belongs: only there does it open. */
export type SealBinding = { webhookId: string; column: SealedColumn };

const encoder = new TextEncoder();
const boundTo = ({ webhookId, column }: SealBinding) => encoder.encode(`webhook:${webhookId}:${column}`);

export const seal = async (plaintext: string, encryptionKey: string, binding: SealBinding) => {
	const key = await primaryKey(encryptionKey);
	const iv = crypto.getRandomValues(new Uint8Array(12));
	const sealed = await crypto.subtle.encrypt(
		{ name: "AES-GCM", iv, additionalData: boundTo(binding) },
		key.sealing,
		encoder.encode(plaintext),
	);
	return `v2.${key.id}.${toBase64(iv)}.${toBase64(new Uint8Array(sealed))}`;
};

const open = async (
	params: { name: "AES-GCM"; iv: Uint8Array; additionalData?: Uint8Array },
	key: CryptoKey,
	data: string,
) => new TextDecoder().decode(await crypto.subtle.decrypt(params, key, fromBase64(data)));

export const unseal = async (sealed: string, encryptionKey: string, binding: SealBinding) => {
	const parts = sealed.split(".");
	const keys = await keyring(encryptionKey);
	if (parts.length === 4 && parts[0] === "v2") {
		const [, id, iv = "", data = ""] = parts;
		const key = keys.find((k) => k.id === id);
		if (!key) throw new Error(`sealed secret: its key (${id}) is not in ENCRYPTION_KEY`);
		try {
			return await open({ name: "AES-GCM", iv: fromBase64(iv), additionalData: boundTo(binding) }, key.sealing, data);
		} catch {
			throw new Error(`sealed secret does not open as ${binding.column} of webhook ${binding.webhookId}`);
		}
	}
	if (parts.length === 3 && parts[0] === "v1") {
		const [, iv = "", data = ""] = parts;
		for (const key of keys) {
			try {
				return await open({ name: "AES-GCM", iv: fromBase64(iv) }, key.legacy, data);
			} catch {}
		}
		throw new Error("sealed secret (v1) opens under no key of ENCRYPTION_KEY");
	}
	throw new Error("sealed secret has an unknown format");
};

/** Whether a sealed value is in the form a write seals now: v2, under the first key of ENCRYPTION_KEY. */
export const isSealedCurrent = async (sealed: string, encryptionKey: string) =>
	sealed.startsWith(`v2.${(await primaryKey(encryptionKey)).id}.`);

/** The value in the current form: as it is if it is already, else opened and sealed afresh. */
export const resealed = async (sealed: string, encryptionKey: string, binding: SealBinding) =>
	(await isSealedCurrent(sealed, encryptionKey))
		? sealed
		: seal(await unseal(sealed, encryptionKey, binding), encryptionKey, binding);

/** A Standard Webhooks signing secret: `whsec_` + base64 of 24 random bytes. */
export const newSigningSecret = () => `whsec_${toBase64(crypto.getRandomValues(new Uint8Array(24)))}`;
