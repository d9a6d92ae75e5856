// The retry policy: which failed attempts are worth another, and how long to
// wait before it (the webhook's delays, jittered, stretched by Retry-After,
// capped by the queue's longest delay).

import type { AttemptOutcome } from "../attempt/send";
import { MAX_QUEUE_DELAY_SECONDS } from "../config";
import type { WebhookRow } from "../db/schema";

/** ±20 % jitter, capped by the queue's longest delay. */
export const jittered = (seconds: number, random = Math.random) =>
	Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, Math.round(seconds * (0.8 + 0.4 * random()))));

/**
 * Whether another attempt could succeed: not after a success, a request that
 * cannot be built or is aimed where the target policy forbids, or a 410 Gone.
 */
export const isRetryable = (outcome: AttemptOutcome) =>
	!outcome.succeeded &&
	outcome.errorKind !== "invalid_request" &&
	outcome.errorKind !== "blocked" &&
	outcome.statusCode !== 410;

/** Seconds until the attempt after attempt `number`, or undefined when there is none. */
export const nextDelay = (
	webhook: Pick<WebhookRow, "retryDelaysSeconds">,
	number: number,
	outcome: AttemptOutcome,
	random = Math.random,
): number | undefined => {
	const maxAttempts = webhook.retryDelaysSeconds.length + 1;
	if (!isRetryable(outcome) || number >= maxAttempts) return undefined;
	const planned = jittered(webhook.retryDelaysSeconds[number - 1] ?? 0, random);
	return Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(planned, outcome.retryAfterSeconds ?? 0));
};
