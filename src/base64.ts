// Base64 for bytes (keys, ciphertexts, signatures): the Workers runtime has atob/btoa but no Buffer.
export const fromBase64 = (b64: string) => Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
export const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
