// Signs a tenant portal link the way Hookline does (src/access/portal-link.ts),
// for browser tests that need a link the API would not make: one that has
// already expired, or one that ends in seconds. It needs the ENCRYPTION_KEY
// the service runs with; the first key of the list signs.
const encoder = new TextEncoder();

export const signPortalLink = async (
	encryptionKey: string,
	{ tenantId, readOnly, expiresAt }: { tenantId: string; readOnly: boolean; expiresAt: number },
) => {
	const raw = Buffer.from(encryptionKey.split(",")[0]?.trim() ?? "", "base64");
	const master = await crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveBits"]);
	const bits = await crypto.subtle.deriveBits(
		{ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(), info: encoder.encode("hookline/v2/portal-link") },
		master,
		256,
	);
	const key = await crypto.subtle.importKey("raw", bits, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
	const payload = `v1.${tenantId}.${readOnly ? "r" : "w"}.${Math.floor(expiresAt / 1000)}`;
	const signature = Buffer.from(await crypto.subtle.sign("HMAC", key, encoder.encode(payload))).toString("base64url");
	return `/portal/open/${payload}.${signature}`;
};
