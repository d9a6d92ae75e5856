// The master keys in ENCRYPTION_KEY and the keys derived from them. The setting
// is one key or a comma-separated list, for rotation: the first seals and
// signs, every one opens and verifies. Each purpose gets its own key, derived
// with HKDF-SHA-256 (Web Crypto), so the console's session key is never the
// key that seals secrets, the portal's link and session keys are neither, and
// no derived key is the master key itself.
import { fromBase64 } from "../base64";
import { ProblemError } from "../http/problem";

const encoder = new TextEncoder();

/** What each derived key is for; part of the HKDF info, so the keys are unrelated. */
const INFO = {
	seal: "hookline/v2/seal",
	session: "hookline/v2/console-session",
	portalLink: "hookline/v2/portal-link",
	portalSession: "hookline/v2/portal-session",
	id: "hookline/v2/key-id",
} as const;

export type MasterKey = {
	/** Names this master key in a sealed value (16 hex digits of HKDF output, which tell nothing of the key). */
	id: string;
	/** AES-GCM, for values sealed in the bound form (v2). */
	sealing: CryptoKey;
	/** AES-GCM under the master key itself: only to open values sealed before derivation (v1). */
	legacy: CryptoKey;
	/** HMAC-SHA256 secret for the console's session cookie and its CSRF tokens. */
	session: Uint8Array;
	/** HMAC-SHA256 secret that signs tenant portal links. */
	portalLink: Uint8Array;
	/** HMAC-SHA256 secret for the portal's session cookie and its CSRF tokens. */
	portalSession: Uint8Array;
};

/** The raw entries of ENCRYPTION_KEY, or why one is not a key: which entry, never its value. */
export const masterKeysOf = (setting: string): { keys: Uint8Array[] } | { problem: string } => {
	const entries = setting
		.split(",")
		.map((s) => s.trim())
		.filter(Boolean);
	const keys: Uint8Array[] = [];
	for (const [i, entry] of entries.entries()) {
		let raw = new Uint8Array();
		try {
			raw = fromBase64(entry);
		} catch {}
		if (raw.length !== 32) {
			const which = entries.length > 1 ? `entry ${i + 1} of ${entries.length}` : "it";
			return { problem: `must be the base64 of 32 random bytes (openssl rand -base64 32); ${which} is not` };
		}
		keys.push(raw);
	}
	return keys.length > 0 ? { keys } : { problem: "is not set" };
};

const derive = async (raw: Uint8Array): Promise<MasterKey> => {
	const master = await crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveBits", "deriveKey"]);
	const params = (info: string) => ({
		name: "HKDF",
		hash: "SHA-256",
		salt: new Uint8Array(),
		info: encoder.encode(info),
	});
	const [sealing, legacy, session, portalLink, portalSession, id] = await Promise.all([
		crypto.subtle.deriveKey(params(INFO.seal), master, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]),
		crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["decrypt"]),
		crypto.subtle.deriveBits(params(INFO.session), master, 256),
		crypto.subtle.deriveBits(params(INFO.portalLink), master, 256),
		crypto.subtle.deriveBits(params(INFO.portalSession), master, 256),
		crypto.subtle.deriveBits(params(INFO.id), master, 64),
	]);
	const hex = [...new Uint8Array(id)].map((b) => b.toString(16).padStart(2, "0")).join("");
	return {
		id: hex,
		sealing,
		legacy,
		session: new Uint8Array(session),
		portalLink: new Uint8Array(portalLink),
		portalSession: new Uint8Array(portalSession),
	};
};

/** Derived keys per setting string (configuration, not request state). */
const keyrings = new Map<string, Promise<MasterKey[]>>();

/**
 * The keys of ENCRYPTION_KEY, first the one that seals and signs. A setting
 * that is not a list of keys answers 503 (the settings check refuses it first).
 */
export const keyring = (setting: string): Promise<MasterKey[]> => {
	let ring = keyrings.get(setting);
	if (!ring) {
		const parsed = masterKeysOf(setting);
		if ("problem" in parsed)
			throw new ProblemError(503, `Hookline is not configured: ENCRYPTION_KEY ${parsed.problem}.`);
		ring = Promise.all(parsed.keys.map(derive));
		keyrings.set(setting, ring);
	}
	return ring;
};

/** The key that seals and signs: the first of ENCRYPTION_KEY. */
export const primaryKey = async (setting: string) => (await keyring(setting))[0] as MasterKey;
