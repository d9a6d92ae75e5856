// One HTTP client and one polling helper for the end-to-end tests: every test
// talks to Hookline over real HTTP through these, and waits on observed state
// (never on a fixed sleep).
import type { LocalHookline } from "./local-hookline.ts";

/** A JSON answer as the tests read it: any object, often a `{ data: [...] }` list. */
export type Json = Record<string, unknown> & { data?: Record<string, unknown>[] };
export type Answer = { status: number; body: Json; headers: Headers };
export type CallOptions = { token?: string; headers?: Record<string, string> };

export type HooklineApi = {
	/** Sends one request with the admin token unless `token` says otherwise. */
	call: (method: string, path: string, body?: unknown, options?: CallOptions) => Promise<Answer>;
	/** The same, for tests that read only the body. */
	json: (method: string, path: string, body?: unknown, options?: CallOptions) => Promise<Json>;
	/** `poll` with the service's output attached to a timeout. */
	poll: <T>(what: string, check: () => Promise<T | undefined>, timeoutMs?: number) => Promise<T>;
};

export const hooklineApi = (hookline: LocalHookline): HooklineApi => {
	const call = async (method: string, path: string, body?: unknown, { token, headers = {} }: CallOptions = {}) => {
		const res = await fetch(`${hookline.url}${path}`, {
			method,
			headers: {
				authorization: `Bearer ${token ?? hookline.adminToken}`,
				"content-type": "application/json",
				...headers,
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await res.text();
		return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json, headers: res.headers };
	};
	return {
		call,
		json: async (...args) => (await call(...args)).body,
		poll: (what, check, timeoutMs) =>
			poll(what, check, {
				timeoutMs,
				context: () => `--- hookline output (tail) ---\n${hookline.output().slice(-4000)}`,
			}),
	};
};

/** Calls `check` until it returns a value (not `undefined`), or fails after `timeoutMs`. */
export const poll = async <T>(
	what: string,
	check: () => Promise<T | undefined>,
	{
		timeoutMs = 30_000,
		intervalMs = 100,
		context,
	}: { timeoutMs?: number; intervalMs?: number; context?: () => string } = {},
): Promise<T> => {
	const until = Date.now() + timeoutMs;
	while (Date.now() < until) {
		const value = await check();
		if (value !== undefined) return value;
		await new Promise((r) => setTimeout(r, intervalMs));
	}
	throw new Error(`${what}: not within ${timeoutMs} ms${context ? `\n${context()}` : ""}`);
};

/**
 * Checks that something that must not happen (a duplicate, an extra attempt)
 * does not happen for `forMs`: fails as soon as `holds` turns false. Absence
 * can only be observed over a window; this is that window, not an ordering.
 */
export const holdsFor = async (
	what: string,
	holds: () => boolean | Promise<boolean>,
	forMs: number,
	intervalMs = 100,
): Promise<void> => {
	const until = Date.now() + forMs;
	do {
		if (!(await holds())) throw new Error(`${what}: no longer held`);
		await new Promise((r) => setTimeout(r, intervalMs));
	} while (Date.now() < until);
	if (!(await holds())) throw new Error(`${what}: no longer held`);
};
