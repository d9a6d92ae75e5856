// Relay: sends the attempt on to the receiver as the worker would have sent
// it (same method, headers and body), from the proxy's bind address and
// through the checked DNS lookup, and collects the receiver's answer for the
// worker, cut at a cap. The body is checked against its signed digest: a small
// one of a declared length whole, before the receiver is connected to; any
// other streams through as it arrives, counted, its last chunk held back until
// it has been checked. Redirects are not followed (Node's
// http.request never does): a 3xx goes back to the worker as it is.
import { createHash, type Hash, timingSafeEqual } from "node:crypto";
import {
	Agent as HttpAgent,
	request as httpRequest,
	type IncomingHttpHeaders,
	type IncomingMessage,
	type OutgoingHttpHeaders,
} from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { EGRESS, EGRESS_HEADER_PREFIX } from "../src/security/egress.ts";
import { EgressFailure } from "./failure.ts";

/** Headers never copied across, in either direction. */
const NOT_COPIED = new Set([
	// Hop-by-hop: they describe one connection, and each side has its own.
	"connection",
	"keep-alive",
	"proxy-authenticate",
	"proxy-authorization",
	"proxy-connection",
	"te",
	"trailer",
	"transfer-encoding",
	"upgrade",
	// Set anew for each hop: the host from the target URL, the length from the body actually sent.
	"host",
	"content-length",
]);

/** Headers the worker's platform, a TLS terminator or this protocol added, which the receiver must not see. */
const isInfrastructure = (name: string) =>
	name.startsWith(EGRESS_HEADER_PREFIX) ||
	name.startsWith("cf-") ||
	name.startsWith("x-forwarded-") ||
	name === "x-real-ip" ||
	name === "cdn-loop" ||
	name === "forwarded";

const copyHeaders = (headers: IncomingHttpHeaders, drop: (name: string) => boolean) => {
	const out: OutgoingHttpHeaders = {};
	for (const [name, value] of Object.entries(headers)) {
		if (value === undefined || NOT_COPIED.has(name) || drop(name)) continue;
		out[name] = value;
	}
	return out;
};

export type Outgoing = {
	method?: string;
	headers: IncomingHttpHeaders;
	/** The relay request itself, its body not yet read. */
	body: Readable;
	/** The signed hex SHA-256 the body must have. */
	bodyDigest: string;
	url: URL;
	timeoutMs: number;
};

/** Whether the body's SHA-256 is its signed hex digest, compared in constant time. */
const digestMatches = (hash: Hash, expectedDigest: string) => {
	const digest = Buffer.from(hash.digest("hex"));
	const expected = Buffer.from(expectedDigest.toLowerCase());
	return digest.length === expected.length && timingSafeEqual(digest, expected);
};

const notMatching = () => new EgressFailure("unauthorized", 401, "the body does not match its signed digest");

/**
 * Passes the body on as it arrives, counting and hashing it. Over the cap it
 * fails at once; unlike its signed digest it fails at the end. The last chunk
 * is held back until the digest is checked, so a receiver never gets the whole
 * of a body that does not match.
 */
const checkedBody = (maxBytes: number, expectedDigest: string) => {
	const hash = createHash("sha256");
	let size = 0;
	let held: Buffer | undefined;
	return new Transform({
		transform(chunk: Buffer, _encoding, done) {
			size += chunk.length;
			if (size > maxBytes) {
				done(new EgressFailure("invalid", 413, `the request body is over ${maxBytes} bytes`));
				return;
			}
			hash.update(chunk);
			const previous = held;
			held = chunk;
			done(null, previous);
		},
		flush(done) {
			if (!digestMatches(hash, expectedDigest)) {
				done(notMatching());
				return;
			}
			done(null, held);
		},
	});
};

/** Bodies of a declared length up to this are relayed whole (wholeBody), larger ones streamed (checkedBody). */
const WHOLE_BODY_BYTES = 64 * 1024;

/**
 * Reads a body of a declared length (at most WHOLE_BODY_BYTES, so no larger
 * than the cap) and checks it against its signed digest.
 */
const wholeBody = async (body: Readable, expectedDigest: string) => {
	const chunks: Buffer[] = [];
	for await (const chunk of body) chunks.push(chunk as Buffer);
	const bytes = Buffer.concat(chunks);
	if (!digestMatches(createHash("sha256").update(bytes), expectedDigest)) throw notMatching();
	return bytes;
};

/** The body's length as the relay request declared it, when it did; over the cap it is refused before reading. */
const declaredLength = (headers: IncomingHttpHeaders, maxBytes: number) => {
	const declared = headers["content-length"];
	if (declared === undefined) return undefined;
	const length = Number(declared);
	if (!Number.isSafeInteger(length) || length < 0)
		throw new EgressFailure("invalid", 400, "the content-length is not a length");
	if (length > maxBytes) throw new EgressFailure("invalid", 413, `the request body is over ${maxBytes} bytes`);
	return length;
};

export type Answer = { status: number; headers: OutgoingHttpHeaders; body: Buffer; address?: string };

/** Reads the receiver's answer up to `maxBytes`; beyond that it closes the connection and marks the answer truncated. */
const collectAnswer = (res: IncomingMessage, maxBytes: number) =>
	new Promise<Answer>((done, fail) => {
		const chunks: Buffer[] = [];
		let size = 0;
		let truncated = false;
		const finish = () => {
			// A receiver must not forge the proxy's marker or an error kind: its x-hookline-egress* headers go.
			const headers = copyHeaders(res.headers, (name) => name.startsWith(EGRESS_HEADER_PREFIX));
			if (truncated) headers[EGRESS.truncated] = "true";
			done({
				status: res.statusCode ?? 502,
				headers,
				body: Buffer.concat(chunks).subarray(0, maxBytes),
				address: res.socket?.remoteAddress,
			});
		};
		res.on("data", (chunk: Buffer) => {
			if (truncated) return;
			chunks.push(chunk);
			size += chunk.length;
			if (size > maxBytes) {
				truncated = true;
				res.destroy();
				finish();
			}
		});
		res.on("end", () => {
			if (!truncated) finish();
		});
		// Destroying a truncated answer may report an error; the answer is already complete.
		res.on("error", (err) => {
			if (!truncated) fail(err);
		});
	});

/** Turns what went wrong into the kind the worker records; the DNS lookup's own failures pass through. */
const asFailure = (err: NodeJS.ErrnoException, url: URL, timeoutMs: number, what: string) => {
	if (err instanceof EgressFailure) return err;
	if (err.name === "TimeoutError" || err.name === "AbortError")
		return new EgressFailure("timeout", 504, `${what} within ${timeoutMs} ms`);
	return new EgressFailure("connect", 502, `${url.host}: ${err.code ?? err.message}`);
};

/**
 * An idle pooled connection is closed after this long, or a second before the
 * receiver's own Keep-Alive timeout when it names one (Node reads the hint), so
 * a relay rarely meets a connection the receiver is closing.
 */
const IDLE_CONNECTION_MS = 4_000;

/**
 * Returns the function that relays one authenticated request. Connections to
 * a receiver are kept open and reused (the proxy's own pool: every connection
 * in it was opened through the checked lookup and from the bind address, so a
 * reused one is as checked as a new one, and a receiver's later DNS answers
 * apply to the next connection it opens).
 */
export const createRelay = (options: {
	lookup: LookupFunction;
	bindAddress?: string;
	maxResponseBytes: number;
	maxRequestBytes: number;
}) => {
	const pool = {
		keepAlive: true,
		timeout: IDLE_CONNECTION_MS,
		lookup: options.lookup,
		localAddress: options.bindAddress,
	};
	const agents = { http: new HttpAgent(pool), https: new HttpsAgent(pool) };
	return async function relay({ method, headers, body, bodyDigest, url, timeoutMs }: Outgoing) {
		const length = declaredLength(headers, options.maxRequestBytes);
		// One deadline for the whole exchange, up to the answer's last byte.
		const signal = AbortSignal.timeout(timeoutMs);
		// A small body of a declared length (a webhook's, as a rule) is read and checked whole
		// before the receiver is connected to, and sent with the headers in one write.
		const whole =
			length !== undefined && length <= WHOLE_BODY_BYTES
				? await wholeBody(body, bodyDigest).catch((err) => {
						throw asFailure(err, url, timeoutMs, "no answer");
					})
				: undefined;
		return new Promise<Answer>((done, fail) => {
			const https = url.protocol === "https:";
			const send = https ? httpsRequest : httpRequest;
			const outgoing = send(url, {
				method,
				headers: {
					...copyHeaders(headers, isInfrastructure),
					...(length === undefined ? {} : { "content-length": String(length) }),
				},
				// The pool's connections go through the checked lookup, from the bind address.
				agent: https ? agents.https : agents.http,
				signal,
			});
			outgoing.on("error", (err) => fail(asFailure(err, url, timeoutMs, "no answer")));
			outgoing.on("response", (res) =>
				collectAnswer(res, options.maxResponseBytes).then(done, (err) =>
					fail(asFailure(err, url, timeoutMs, "no complete answer")),
				),
			);
			if (whole) {
				outgoing.end(whole);
				return;
			}
			// A body over the cap or unlike its digest ends the exchange unfinished.
			pipeline(body, checkedBody(options.maxRequestBytes, bodyDigest), outgoing).catch((err) => {
				outgoing.destroy();
				fail(asFailure(err, url, timeoutMs, "no answer"));
			});
		});
	};
};
