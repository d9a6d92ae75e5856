// The relay protocol between the worker and the egress proxy (egress-proxy/,
// where authentication.ts verifies what is signed here). The worker sends the
// attempt's own method, headers and body to the proxy, plus the headers
// below; the signature is an HMAC-SHA256, keyed by EGRESS_PROXY_SECRET, over
//
//   v2 \n timestamp \n nonce \n METHOD \n target \n timeoutMs \n sha256(body) hex
//
// The body's digest travels in its own header, so the proxy authenticates a
// request from its headers alone, before it reads a byte of the body, and
// checks the body against the digest as it streams it on. The proxy refuses
// anything unsigned, mis-signed, more than 60 s old (or from the future) or
// replayed (a nonce seen before). Its answer carries
// `x-hookline-egress: relayed` when it is the receiver's own answer, or
// `x-hookline-egress-error: <kind>` when the proxy itself gave up.
//
// Shared by the worker and the proxy (Node), so it imports nothing but
// ./hmac-keys.ts, which imports nothing either.

import { hmacKeyCache } from "./hmac-keys.ts";

export const EGRESS = {
	target: "x-hookline-egress-target",
	timestamp: "x-hookline-egress-timestamp",
	nonce: "x-hookline-egress-nonce",
	timeout: "x-hookline-egress-timeout-ms",
	/** Hex SHA-256 of the body: signed, so the signature can be checked before the body is read. */
	bodyDigest: "x-hookline-egress-body-sha256",
	signature: "x-hookline-egress-signature",
	/** On the proxy's answer: "relayed" when the status, headers and body are the receiver's. */
	relayed: "x-hookline-egress",
	/** On the proxy's answer when it gave up: one of EgressErrorKind. */
	error: "x-hookline-egress-error",
	/** On a relayed answer whose body the proxy cut at its cap. */
	truncated: "x-hookline-egress-truncated",
} as const;

/** Every header name above starts with it; none may reach a receiver, nor come back from one. */
export const EGRESS_HEADER_PREFIX = "x-hookline-egress";

/** Proxy-side failures, told apart from the receiver's own answers. */
export type EgressErrorKind = "unauthorized" | "blocked" | "dns" | "connect" | "timeout" | "invalid";

/** How old (or how far ahead) a signed relay request may be. */
export const EGRESS_MAX_AGE_MS = 60_000;

export type RelaySigned = {
	timestamp: string;
	nonce: string;
	method: string;
	target: string;
	timeoutMs: string;
	/** Hex SHA-256 of the body (bodyDigest). */
	bodyDigest: string;
};

const encoder = new TextEncoder();

const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

/** The relay secret's signing key, imported once (./hmac-keys.ts): the worker signs every relay request with it. */
const hmacKey = hmacKeyCache((secret) => encoder.encode(secret));

/** The hex SHA-256 of a body, as EGRESS.bodyDigest carries it. */
export const bodyDigest = async (body: Uint8Array) => hex(await crypto.subtle.digest("SHA-256", body));

/** The text the signature covers (the version's prefix, "v2=", goes before the hex HMAC). */
export const relaySignedText = (r: RelaySigned) =>
	["v2", r.timestamp, r.nonce, r.method.toUpperCase(), r.target, r.timeoutMs, r.bodyDigest].join("\n");

export const relaySignature = async (secret: string, r: RelaySigned) =>
	`v2=${hex(await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(relaySignedText(r))))}`;

/** The headers the worker adds to an attempt it sends through the proxy. */
export const relayHeaders = async (
	secret: string,
	{ method, target, timeoutMs, body }: { method: string; target: string; timeoutMs: number; body: Uint8Array },
	now = Date.now(),
) => {
	const signed: RelaySigned = {
		timestamp: String(now),
		nonce: crypto.randomUUID(),
		method,
		target,
		timeoutMs: String(timeoutMs),
		bodyDigest: await bodyDigest(body),
	};
	return {
		[EGRESS.target]: target,
		[EGRESS.timestamp]: signed.timestamp,
		[EGRESS.nonce]: signed.nonce,
		[EGRESS.timeout]: signed.timeoutMs,
		[EGRESS.bodyDigest]: signed.bodyDigest,
		[EGRESS.signature]: await relaySignature(secret, signed),
	};
};
