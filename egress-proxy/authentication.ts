// Authentication of relay requests: only the worker, holding the shared
// secret, may use the proxy, and each signed request only once and within 60 s.
// The signature itself is defined in src/security/egress.ts, which the worker
// signs with; this module only verifies it.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { EGRESS, EGRESS_MAX_AGE_MS, type RelaySigned, relaySignedText } from "../src/security/egress.ts";
import { EgressFailure } from "./failure.ts";

/** The six relay headers, as the request carried them. */
export type RelayHeaders = {
	target: string;
	timestamp: string;
	nonce: string;
	timeout: string;
	bodyDigest: string;
	signature: string;
};

/** What an authenticated request may do: relay a body with this digest to this target within this time. */
export type Authorized = { target: string; timeoutMs: number; bodyDigest: string };

const unsigned = () => new EgressFailure("unauthorized", 401, "unsigned: the relay headers are missing");

const assertFresh = (timestamp: string, now: number) => {
	const at = Number(timestamp);
	if (!Number.isFinite(at) || Math.abs(now - at) > EGRESS_MAX_AGE_MS)
		throw new EgressFailure("unauthorized", 401, "the signature is older than 60 s (or from the future)");
};

/** Takes the relay headers; a request without one of them (or with one empty) is unsigned. */
export const readRelayHeaders = (req: IncomingMessage): RelayHeaders => {
	const header = (name: string) => {
		const value = req.headers[name];
		if (typeof value !== "string" || value === "") throw unsigned();
		return value;
	};
	const headers = {
		target: header(EGRESS.target),
		timestamp: header(EGRESS.timestamp),
		nonce: header(EGRESS.nonce),
		timeout: header(EGRESS.timeout),
		bodyDigest: header(EGRESS.bodyDigest),
		signature: header(EGRESS.signature),
	};
	return headers;
};

/** Nonces seen within the signature's lifetime: a replay is refused. */
class NonceLog {
	private seen = new Map<string, number>();
	/** True the first time a nonce is offered within its lifetime. */
	fresh(nonce: string, now: number) {
		// Entries are inserted in time order, so the expired ones are at the front.
		for (const [n, expires] of this.seen) {
			if (expires > now) break;
			this.seen.delete(n);
		}
		if (this.seen.has(nonce)) return false;
		// Twice the lifetime: a timestamp may be up to 60 s ahead of this clock as well as behind it.
		this.seen.set(nonce, now + 2 * EGRESS_MAX_AGE_MS);
		return true;
	}
}

/**
 * The signature the worker computes with WebCrypto (relaySignature in
 * src/security/egress.ts), over the same text, with Node's own HMAC: a
 * synchronous call where WebCrypto's is a job on the thread pool, per relay.
 */
const relaySignature = (secret: string, signed: RelaySigned) =>
	`v2=${createHmac("sha256", secret).update(relaySignedText(signed)).digest("hex")}`;

/** Constant-time comparison, so the time taken does not reveal how much of a guessed signature is right. */
const sameText = (a: string, b: string) => {
	const x = Buffer.from(a);
	const y = Buffer.from(b);
	return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Returns the check of a request's headers, run before a byte of its body is
 * read (so a stranger without the secret cannot make the proxy read anything):
 * age, signature (under any accepted secret, over the body's signed digest),
 * nonce and timeout. The body is checked against the digest as it streams on.
 * The nonce log lives as long as the proxy.
 */
export const createAuthenticator = ({ secrets, maxTimeoutMs }: { secrets: string[]; maxTimeoutMs: number }) => {
	const nonces = new NonceLog();
	return async function authenticate(method: string, headers: RelayHeaders): Promise<Authorized> {
		const { target, timestamp, nonce, timeout, bodyDigest, signature } = headers;
		const now = Date.now();
		assertFresh(timestamp, now);
		const signed = { timestamp, nonce, method, target, timeoutMs: timeout, bodyDigest };
		let valid = false;
		// Every secret is tried, so the time taken does not tell which one matched.
		for (const secret of secrets) {
			if (sameText(relaySignature(secret, signed), signature)) valid = true;
		}
		if (!valid) throw new EgressFailure("unauthorized", 401, "the signature does not match");
		if (!nonces.fresh(nonce, now)) throw new EgressFailure("unauthorized", 401, "replayed: this nonce was used before");
		const timeoutMs = Number(timeout);
		if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
			throw new EgressFailure("invalid", 400, "the timeout must be a positive number of milliseconds");
		return { target, timeoutMs: Math.min(timeoutMs, maxTimeoutMs), bodyDigest };
	};
};
