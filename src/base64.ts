// Base64 for bytes (keys, ciphertexts, signatures): the Workers runtime has atob/btoa but no Buffer.
export const fromBase64 = (b64: string) => Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
export const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

/** base64url without padding (RFC 4648 §5), for what travels in URLs: cursors, key secrets, signed links. */
export const toBase64Url = (bytes: Uint8Array) =>
	toBase64(bytes).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
export const fromBase64Url = (text: string) => fromBase64(text.replaceAll("-", "+").replaceAll("_", "/"));
