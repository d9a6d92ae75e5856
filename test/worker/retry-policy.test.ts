// The retry policy alone: which outcomes retry, and after how long.
import { describe, expect, it } from "vitest";
import type { AttemptOutcome } from "../../src/attempt/send";
import { MAX_QUEUE_DELAY_SECONDS } from "../../src/config";
import { isRetryable, jittered, nextDelay } from "../../src/delivery/retry-policy";

const failed = (fields: Partial<AttemptOutcome> = {}): AttemptOutcome => ({
	succeeded: false,
	statusCode: 500,
	errorKind: "http",
	error: "HTTP 500",
	responseExcerpt: null,
	durationMs: 10,
	...fields,
});
const policy = { retryDelaysSeconds: [5, 300, 1800, 7200] };
const middle = () => 0.5;

describe("isRetryable", () => {
	it.each([
		["a 500", failed(), true],
		["a timeout", failed({ statusCode: null, errorKind: "timeout" }), true],
		["a success", failed({ succeeded: true, statusCode: 200, errorKind: null }), false],
		["410 Gone", failed({ statusCode: 410 }), false],
		["a request that cannot be built", failed({ statusCode: null, errorKind: "invalid_request" }), false],
		["a target the policy blocks", failed({ statusCode: null, errorKind: "blocked" }), false],
	])("%s → %s", (_, outcome, expected) => expect(isRetryable(outcome)).toBe(expected));
});

describe("nextDelay", () => {
	it("waits the webhook's delay after each attempt, and none after the last", () => {
		expect([1, 2, 3, 4, 5].map((n) => nextDelay(policy, n, failed(), middle))).toEqual([5, 300, 1800, 7200, undefined]);
	});

	it("honours a longer Retry-After, never a shorter one, and caps it at the queue's longest delay", () => {
		expect(nextDelay(policy, 1, failed({ statusCode: 429, retryAfterSeconds: 60 }), middle)).toBe(60);
		expect(nextDelay(policy, 2, failed({ statusCode: 503, retryAfterSeconds: 60 }), middle)).toBe(300);
		expect(nextDelay(policy, 1, failed({ statusCode: 429, retryAfterSeconds: 10 ** 9 }), middle)).toBe(
			MAX_QUEUE_DELAY_SECONDS,
		);
	});

	it("does not retry what is not retryable, whatever attempts remain", () => {
		expect(nextDelay(policy, 1, failed({ statusCode: 410 }), middle)).toBeUndefined();
	});

	it("jitters each delay by at most ±20 %", () => {
		expect(nextDelay(policy, 2, failed(), () => 0)).toBe(jittered(300, () => 0));
		expect(jittered(300, () => 0)).toBe(240);
		expect(jittered(300, () => 1)).toBe(360);
	});
});
