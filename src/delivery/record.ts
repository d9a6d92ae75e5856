// An attempt's outcome as history: the retry policy decides what comes next,
// the history's transition writes it, and a failed attempt gets one log line
// (a success is in the history and the metrics; a line per delivery would make
// the log the history again, and each line costs, locally and in Workers Logs).

import type { NotificationRow, WebhookRow } from "../db/schema";
import type { ShardEnv } from "../db/shards";
import { packText } from "../db/stored-text";
import type { GateRecord } from "../gate";
import { recordApplies, recordAttempt } from "../history/transitions";
import { count } from "../metrics";
import { enqueueEmitted } from "../ops-events/emit";
import { notificationFailed } from "../ops-events/notification-failed";
import { ACK, type Planned, retryAfter } from "./decision";
import { isRetryable, nextDelay } from "./retry-policy";

/**
 * A series that ends failed with this attempt: its operational event, written
 * before the attempt in the same batch, and only if the attempt's record
 * applies (so a record that comes again emits nothing).
 */
const failedEvent = (env: ShardEnv, n: NotificationRow, webhook: WebhookRow, attempt: GateRecord) =>
	notificationFailed(
		env,
		n,
		webhook,
		{
			reason: isRetryable(attempt.outcome) ? "attempts_exhausted" : "not_retryable",
			attempts: attempt.number,
			lastError: attempt.outcome.error,
			lastErrorKind: attempt.outcome.errorKind,
			lastStatusCode: attempt.outcome.statusCode,
		},
		recordApplies(n, attempt.number),
	);

/** The attempt's record and what it means for the notification, for the batch's D1 writes. */
export const record = async (
	env: ShardEnv,
	n: NotificationRow,
	webhook: WebhookRow,
	attempt: GateRecord,
	{ storeRequest }: { storeRequest: boolean },
): Promise<Planned> => {
	const { outcome } = attempt;
	const delaySeconds = nextDelay(webhook, attempt.number, outcome);
	const finished = Date.now();
	if (!outcome.succeeded)
		console.log(
			JSON.stringify({
				msg: "attempt",
				notificationId: n.id,
				webhookId: webhook.id,
				series: n.series,
				number: attempt.number,
				succeeded: outcome.succeeded,
				statusCode: outcome.statusCode,
				errorKind: outcome.errorKind,
				durationMs: outcome.durationMs,
				nextInSeconds: delaySeconds ?? null,
			}),
		);
	count("attempts");
	if (outcome.succeeded) count("delivered");
	// The request is stored with the first attempt's record (the gate keeps it meanwhile), packed when large.
	const firstRequest = storeRequest ? { ...attempt.request, body: await packText(attempt.request.body) } : undefined;
	// Only an ending failure pays for its event; a success or a retry writes what it always did.
	const failed =
		!outcome.succeeded && delaySeconds === undefined ? await failedEvent(env, n, webhook, attempt) : undefined;
	return {
		decision: delaySeconds === undefined ? ACK : retryAfter(delaySeconds),
		...(failed && { afterCommit: () => enqueueEmitted(env, [failed]) }),
		writes: [
			...(failed?.statements ?? []),
			...recordAttempt(
				env,
				n,
				{ ...attempt, url: attempt.request.url || null, firstRequest },
				delaySeconds === undefined ? undefined : finished + delaySeconds * 1000,
				finished,
			),
		],
	};
};
