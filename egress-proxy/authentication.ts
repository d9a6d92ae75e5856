// Authentication of relay requests: only the worker, holding the shared
// secret, may use the proxy, and each signed request only once and within 60 s.
// The signature itself is defined in src/security/egress.ts, which the worker
// signs with; this module only verifies it.
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { EGRESS, EGRESS_MAX_AGE_MS, relaySignature } from "../src/security/egress.ts";
import { EgressFailure } from "./failure.ts";

/** The five relay headers, as the request carried them. */
export type RelayHeaders = { target: string; timestamp: string; nonce: string; timeout: string; signature: string };

/** What an authenticated request may do: relay to this target within this time. */
export type Authorized = { target: string; timeoutMs: number };

const unsigned = () => new EgressFailure("unauthorized", 401, "unsigned: the relay headers are missing");

const assertFresh = (timestamp: string, now: number) => {
	const at = Number(timestamp);
	if (!Number.isFinite(at) || Math.abs(now - at) > EGRESS_MAX_AGE_MS)
		throw new EgressFailure("unauthorized", 401, "the signature is older than 60 s (or from the future)");
};

/**
 * Takes the relay headers and refuses a request without them or with a stale
 * timestamp. It runs before the body is read, so a stranger without the
 * secret cannot make the proxy buffer megabytes.
 */
export const readRelayHeaders = (req: IncomingMessage): RelayHeaders => {
	const header = (name: string) => {
		const value = req.headers[name];
		if (typeof value !== "string") throw unsigned();
		return value;
	};
	const headers = {
		target: header(EGRESS.target),
		timestamp: header(EGRESS.timestamp),
		nonce: header(EGRESS.nonce),
		timeout: header(EGRESS.timeout),
		signature: header(EGRESS.signature),
	};
	assertFresh(headers.timestamp, Date.now());
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

/** Constant-time comparison, so the time taken does not reveal how much of a guessed signature is right. */
const sameText = (a: string, b: string) => {
	const x = Buffer.from(a);
	const y = Buffer.from(b);
	return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Returns the check run once the body is in: signature (under any accepted
 * secret), age, nonce and timeout. The nonce log lives as long as the proxy.
 */
export const createAuthenticator = ({ secrets, maxTimeoutMs }: { secrets: string[]; maxTimeoutMs: number }) => {
	const nonces = new NonceLog();
	return async function authenticate(method: string, headers: RelayHeaders, body: Buffer): Promise<Authorized> {
		const { target, timestamp, nonce, timeout, signature } = headers;
		// readRelayHeaders lets an empty header through; it cannot be a signed value.
		if (!target || !timestamp || !nonce || !timeout || !signature) throw unsigned();
		// Again: reading the body may have taken a while.
		const now = Date.now();
		assertFresh(timestamp, now);
		const signed = { timestamp, nonce, method, target, timeoutMs: timeout, body };
		let valid = false;
		// Every secret is tried, so the time taken does not tell which one matched.
		for (const secret of secrets) {
			if (sameText(await relaySignature(secret, signed), signature)) valid = true;
		}
		if (!valid) throw new EgressFailure("unauthorized", 401, "the signature does not match");
		if (!nonces.fresh(nonce, now)) throw new EgressFailure("unauthorized", 401, "replayed: this nonce was used before");
		const timeoutMs = Number(timeout);
		if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
			throw new EgressFailure("invalid", 400, "the timeout must be a positive number of milliseconds");
		return { target, timeoutMs: Math.min(timeoutMs, maxTimeoutMs) };
	};
};
