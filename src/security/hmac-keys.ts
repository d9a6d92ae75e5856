// Imported HMAC-SHA256 signing keys, kept by secret: a secret changes rarely,
// the requests signed with it are many. Keys are kept, never promises, so no
// request awaits another's work (two first calls at once both import). Imports
// nothing: the egress proxy (Node) loads it through ./egress.ts as well.

type SigningKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

/** Keys kept per cache; past it the cache starts again. */
const KEYS_KEPT = 1000;

/** A cache of signing keys whose raw bytes `bytesOf` takes from the secret. */
export const hmacKeyCache = (bytesOf: (secret: string) => Uint8Array) => {
	const keys = new Map<string, SigningKey>();
	return async (secret: string) => {
		const kept = keys.get(secret);
		if (kept) return kept;
		const key = await crypto.subtle.importKey("raw", bytesOf(secret), { name: "HMAC", hash: "SHA-256" }, false, [
			"sign",
		]);
		if (keys.size >= KEYS_KEPT) keys.clear();
		keys.set(secret, key);
		return key;
	};
};
