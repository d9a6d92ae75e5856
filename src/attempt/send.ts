// One HTTP attempt: send, time it, classify the outcome. Never throws.
import type { Config } from "../config";
import { EGRESS, relayHeaders } from "../security/egress";
import { checkTarget, type TargetPolicy } from "../security/target";
import type { StoredRequest } from "./request";

const RESPONSE_EXCERPT_BYTES = 4096;

/**
 * http: the receiver answered outside 2xx; redirect: a 3xx (never followed);
 * timeout; network: DNS, connect or reset; invalid_request: the templates could
 * not shape a request; blocked: the target policy refused the URL (in the worker
 * or the egress proxy); proxy: the egress proxy could not be used (unreachable,
 * or it refused the worker's signature).
 */
export type ErrorKind = "http" | "redirect" | "timeout" | "network" | "invalid_request" | "blocked" | "proxy";

export type AttemptOutcome = {
	succeeded: boolean;
	statusCode: number | null;
	errorKind: ErrorKind | null;
	error: string | null;
	responseExcerpt: string | null;
	durationMs: number;
	/** Seconds a 429/503 answer asked us to wait. */
	retryAfterSeconds?: number;
};

const readExcerpt = async (response: Response) => {
	if (!response.body) return "";
	const reader = response.body.getReader();
	const chunks: Uint8Array[] = [];
	let size = 0;
	try {
		while (size < RESPONSE_EXCERPT_BYTES) {
			const { done, value } = await reader.read();
			if (done) break;
			chunks.push(value);
			size += value.byteLength;
		}
	} finally {
		await reader.cancel().catch(() => {});
	}
	const bytes = new Uint8Array(size);
	let at = 0;
	for (const c of chunks) {
		bytes.set(c, at);
		at += c.byteLength;
	}
	return new TextDecoder().decode(bytes.subarray(0, RESPONSE_EXCERPT_BYTES));
};

const parseRetryAfter = (value: string | null, now: number) => {
	if (!value) return undefined;
	const seconds = Number(value);
	if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
	const at = Date.parse(value);
	return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
};

/** The egress proxy a region sends through. */
type Egress = { region: string; url: string; secret: string };

/**
 * How a send leaves: the target policy, and its region's egress proxy when the
 * region has one; `unavailable` when the region cannot send (it is not
 * configured), which fails the attempt as `proxy` (retried) rather than send it
 * another way.
 */
export type Route = { policy: TargetPolicy; egress?: Egress; unavailable?: string };

/** The proxy's own time on top of the receiver's timeout (which the proxy enforces). */
const EGRESS_MARGIN_MS = 5_000;

const failed = (errorKind: ErrorKind, error: string, durationMs: number): AttemptOutcome => ({
	succeeded: false,
	statusCode: null,
	errorKind,
	error,
	responseExcerpt: null,
	durationMs,
});

/** The receiver's answer, classified. */
const classify = async (response: Response, started: number, timeoutMs: number): Promise<AttemptOutcome> => {
	// A busy event loop can run the abort timer late: an answer that came after the
	// timeout is a timeout all the same (the contract counts 2xx within it only).
	const answeredAfter = Date.now() - started;
	if (answeredAfter > timeoutMs) {
		await response.body?.cancel().catch(() => {});
		return failed(
			"timeout",
			`answered HTTP ${response.status} after ${answeredAfter} ms, past the ${timeoutMs} ms timeout`,
			answeredAfter,
		);
	}
	const responseExcerpt = await readExcerpt(response).catch(() => null);
	const status = response.status;
	const succeeded = status >= 200 && status < 300;
	return {
		succeeded,
		statusCode: status,
		errorKind: succeeded ? null : status >= 300 && status < 400 ? "redirect" : "http",
		error: succeeded
			? null
			: status >= 300 && status < 400
				? `redirect to ${response.headers.get("location") ?? "(no location)"} not followed`
				: `HTTP ${status}`,
		responseExcerpt,
		durationMs: Date.now() - started,
		...(status === 429 || status === 503
			? { retryAfterSeconds: parseRetryAfter(response.headers.get("retry-after"), Date.now()) }
			: {}),
	};
};

const thrown = (err: unknown, started: number, timeoutMs: number, via = ""): AttemptOutcome => {
	const timedOut = (err as Error)?.name === "TimeoutError" || (err as Error)?.name === "AbortError";
	return failed(
		timedOut ? "timeout" : via ? "proxy" : "network",
		timedOut ? `no answer within ${timeoutMs} ms${via}` : `${String((err as Error)?.message ?? err)}${via}`,
		Date.now() - started,
	);
};

/**
 * Runs one exchange under a deadline whose timer is cleared when it ends. An
 * isolate may hold at most 10,000 timers, and AbortSignal.timeout's run on
 * after the answer: at a few hundred attempts a second they reach that bound.
 */
const withDeadline = async <T>(ms: number, exchange: (signal: AbortSignal) => Promise<T>): Promise<T> => {
	const controller = new AbortController();
	const timer = setTimeout(() => controller.abort(new DOMException(`no answer within ${ms} ms`, "TimeoutError")), ms);
	try {
		return await exchange(controller.signal);
	} finally {
		clearTimeout(timer);
	}
};

/** What the proxy's own failures become in the attempt's record. */
const EGRESS_KINDS: Record<string, ErrorKind> = {
	blocked: "blocked",
	timeout: "timeout",
	dns: "network",
	connect: "network",
};

const sendThroughProxy = async (
	request: StoredRequest,
	headers: Record<string, string>,
	timeoutMs: number,
	egress: Egress,
	started: number,
): Promise<AttemptOutcome> => {
	if (!egress.secret)
		return failed("proxy", `region ${egress.region} has an egress proxy but no EGRESS_PROXY_SECRET to sign with`, 0);
	const body = new TextEncoder().encode(request.body);
	try {
		const relay = await relayHeaders(egress.secret, { method: request.method, target: request.url, timeoutMs, body });
		return await withDeadline(timeoutMs + EGRESS_MARGIN_MS, async (signal) => {
			const response = await fetch(egress.url, {
				method: request.method,
				headers: { ...headers, ...relay },
				body,
				redirect: "manual",
				signal,
			});
			if (response.headers.get(EGRESS.relayed) === "relayed") {
				// The proxy enforced the receiver's timeout; its own hop may add a little.
				return classify(response, started, timeoutMs + EGRESS_MARGIN_MS);
			}
			const kind = response.headers.get(EGRESS.error) ?? "";
			const detail = await response
				.json<{ detail?: string }>()
				.then((p) => p.detail)
				.catch(() => undefined);
			return failed(
				EGRESS_KINDS[kind] ?? "proxy",
				`egress proxy: ${kind || `HTTP ${response.status}`}${detail ? `: ${detail}` : ""}`,
				Date.now() - started,
			);
		});
	} catch (err) {
		return thrown(err, started, timeoutMs, ` (egress proxy of region ${egress.region})`);
	}
};

/**
 * Sends one attempt directly or through the egress proxy. The target policy is
 * checked here too, so a request stored under an older policy is never sent.
 */
export const sendAttempt = async (
	request: StoredRequest,
	secretHeaders: Record<string, string>,
	timeoutMs: number,
	route: Route,
): Promise<AttemptOutcome> => {
	const started = Date.now();
	const verdict = checkTarget(request.url, route.policy);
	if (!verdict.ok) return failed("blocked", `target refused: ${verdict.reason}`, 0);
	if (route.unavailable) return failed("proxy", route.unavailable, 0);
	const headers = { ...request.headers, ...secretHeaders };
	if (route.egress) return sendThroughProxy(request, headers, timeoutMs, route.egress, started);
	try {
		return await withDeadline(timeoutMs, async (signal) => {
			const response = await fetch(request.url, {
				method: request.method,
				headers,
				body: request.body,
				redirect: "manual",
				signal,
			});
			return classify(response, started, timeoutMs);
		});
	} catch (err) {
		return thrown(err, started, timeoutMs);
	}
};

/**
 * The route a delivery from `region` takes: through that region's egress
 * proxy, direct only from a region configured without one or while the
 * deployment names no regions. Never through another region.
 */
export const routeOf = (config: Config, region: string | null): Route => {
	const policy = config.targetPolicy;
	if (region === null)
		return config.regions.length === 0 ? { policy } : { policy, unavailable: "the delivery names no region" };
	const found = config.regions.find((r) => r.name === region);
	if (!found) return { policy, unavailable: `region ${region} is not configured` };
	if (found.egressProxyUrl === "") return { policy };
	return { policy, egress: { region: found.name, url: found.egressProxyUrl, secret: found.secret } };
};
