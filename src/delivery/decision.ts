// What the consumer does with a queue message once it is handled.
import { MAX_QUEUE_DELAY_SECONDS } from "../config";

/**
 * Ack it, retry it after a delay (the next scheduled attempt), or requeue it,
 * that is ack it and send a fresh delayed message, for waits that are not
 * attempts (busy gate, early arrival) so they never count toward the queue's
 * max_retries.
 */
export type Decision = { ack: true } | { ack: false; delaySeconds: number; requeue?: true };

export const ACK: Decision = { ack: true };

const clampDelay = (seconds: number) => Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, Math.ceil(seconds)));

/** The queue delivers the message again after `seconds`: the next attempt. */
export const retryAfter = (seconds: number): Decision => ({ ack: false, delaySeconds: clampDelay(seconds) });

/** A fresh message after `seconds`: a wait that spends no attempt. */
export const requeueAfter = (seconds: number): Decision => ({
	ack: false,
	delaySeconds: clampDelay(seconds),
	requeue: true,
});

/**
 * What handling a message decided, the D1 writes that must land before the
 * decision is acted on, and what to do once they have (never before: a gate
 * must not act on a change that D1 may yet refuse).
 */
export type Planned = { decision: Decision; writes: D1PreparedStatement[]; afterCommit?: () => Promise<void> };

export const asError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));
