// Tenant portal links: a token that says "tenant T may open its portal, read-only
// or not, until E", signed with HMAC-SHA256 under a key derived from
// ENCRYPTION_KEY for this purpose alone (src/secrets/keyring.ts). Nothing is
// stored per link: the token carries what it grants, and the signature is the
// proof. So a link cannot be revoked on its own; it ends at its expiry (24 h at
// most), when its tenant is deleted, or when the key that signed it leaves
// ENCRYPTION_KEY (docs/portal.md).
//
//   v1.<tenant id>.<r|w>.<expiry, Unix seconds>.<base64url HMAC of all before it>
//
// A tenant id has no `.`, so the fields split without ambiguity; the token is
// URL-safe as it stands and goes in the link's path.
import { fromBase64Url, toBase64Url } from "../base64";
import { keyring } from "../secrets/keyring";

export type PortalGrant = {
	tenantId: string;
	readOnly: boolean;
	/** Milliseconds since the epoch, on a whole second. */
	expiresAt: number;
};

const FORMAT = /^v1\.([a-z0-9][a-z0-9_-]{0,62})\.([rw])\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

const encoder = new TextEncoder();

const hmacKey = (secret: Uint8Array) =>
	crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);

const payloadOf = ({ tenantId, readOnly, expiresAt }: PortalGrant) =>
	`v1.${tenantId}.${readOnly ? "r" : "w"}.${Math.floor(expiresAt / 1000)}`;

/** A link token for `grant`, signed with the first key of ENCRYPTION_KEY. */
export const signPortalLink = async (encryptionKey: string, grant: PortalGrant) => {
	const [key] = await keyring(encryptionKey);
	if (!key) throw new Error("ENCRYPTION_KEY lists no key");
	const payload = payloadOf(grant);
	const signature = await crypto.subtle.sign("HMAC", await hmacKey(key.portalLink), encoder.encode(payload));
	return `${payload}.${toBase64Url(new Uint8Array(signature))}`;
};

/**
 * What a token grants, if any key of ENCRYPTION_KEY signed it; `expired` says
 * whether its time has passed (the portal still names the tenant then, to frame
 * the page that says so). A malformed or forged token is undefined.
 */
export const readPortalLink = async (
	encryptionKey: string,
	token: string,
	now = Date.now(),
): Promise<{ grant: PortalGrant; expired: boolean } | undefined> => {
	const match = FORMAT.exec(token);
	if (!match) return undefined;
	const [, tenantId = "", mode, seconds, signature = ""] = match;
	const payload = token.slice(0, token.lastIndexOf("."));
	const tag = fromBase64Url(signature);
	// atob ignores the last character's unused bits: only the one spelling of a signature is accepted.
	if (toBase64Url(tag) !== signature) return undefined;
	for (const key of await keyring(encryptionKey)) {
		// crypto.subtle.verify compares in constant time.
		if (await crypto.subtle.verify("HMAC", await hmacKey(key.portalLink), tag, encoder.encode(payload))) {
			const expiresAt = Number(seconds) * 1000;
			return { grant: { tenantId, readOnly: mode === "r", expiresAt }, expired: expiresAt <= now };
		}
	}
	return undefined;
};

/** Where a link opens the portal: the token is one path segment, so the link works without script. */
export const PORTAL_OPEN_PATH = "/portal/open";
export const portalLinkPath = (token: string) => `${PORTAL_OPEN_PATH}/${token}`;
