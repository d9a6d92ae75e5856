// One HTTP attempt: send, time it, classify the outcome. Never throws.
import type { StoredRequest } from "./request";

export const RESPONSE_EXCERPT_BYTES = 4096;

export type ErrorKind = "http" | "redirect" | "timeout" | "network" | "invalid_request";

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

export const sendAttempt = async (
	request: StoredRequest,
	secretHeaders: Record<string, string>,
	timeoutMs: number,
): Promise<AttemptOutcome> => {
	const started = Date.now();
	try {
		const response = await fetch(request.url, {
			method: request.method,
			headers: { ...request.headers, ...secretHeaders },
			body: request.body,
			redirect: "manual",
			signal: AbortSignal.timeout(timeoutMs),
		});
		// A busy event loop can run the abort timer late: an answer that came after the
		// timeout is a timeout all the same (the contract counts 2xx within it only).
		const answeredAfter = Date.now() - started;
		if (answeredAfter > timeoutMs) {
			await response.body?.cancel().catch(() => {});
			return {
				succeeded: false,
				statusCode: null,
				errorKind: "timeout",
				error: `answered HTTP ${response.status} after ${answeredAfter} ms, past the ${timeoutMs} ms timeout`,
				responseExcerpt: null,
				durationMs: answeredAfter,
			};
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
	} catch (err) {
		const timedOut = (err as Error)?.name === "TimeoutError" || (err as Error)?.name === "AbortError";
		return {
			succeeded: false,
			statusCode: null,
			errorKind: timedOut ? "timeout" : "network",
			error: timedOut ? `no answer within ${timeoutMs} ms` : String((err as Error)?.message ?? err),
			responseExcerpt: null,
			durationMs: Date.now() - started,
		};
	}
};
