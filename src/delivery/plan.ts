// Planning one message: whether it needs nothing, a write without a send, or a
// send through its webhook's gate, and for a send the request (shaped at the
// first send-out, stored after it) with the webhook's credentials.

import { ShapeError, type StoredRequest, shapeRequest, shapeUrl } from "../attempt/request";
import { readConfig } from "../config";
import { asStatement } from "../db";
import type { NotificationRow, WebhookRow } from "../db/schema";
import type { ShardEnv } from "../db/shards";
import type { GateSend } from "../gate";
import { isFinal } from "../history/status";
import { fail, skip } from "../history/transitions";
import { newId } from "../ids";
import type { NotificationMessage } from "../queue/messages";
import { isFixedUrl, type TemplateView } from "../templates";
import type { Credentials } from "./credentials";
import { ACK, type Planned, requeueAfter } from "./decision";
import type { Loaded, LoadedEvent, LoadedNotification } from "./load";
import { record } from "./record";

/** A notification whose attempt is due: what to ask its webhook's gate, and what to record with the answer. */
export type Due = { n: NotificationRow; webhook: WebhookRow; input: GateSend };

export const isDue = (p: Planned | Due | Error): p is Due => !(p instanceof Error) && "input" in p;

const storedRequest = (n: LoadedNotification): StoredRequest | undefined =>
	n.requestMethod === null
		? undefined
		: { method: n.requestMethod, url: n.requestUrl ?? "", headers: n.requestHeaders ?? {}, body: n.requestBody ?? "" };

/**
 * The view a notification's templates render against. The event's data is
 * parsed only when the template needs it: a retry to a fixed URL does not.
 */
const viewOf = (n: NotificationRow, webhook: WebhookRow, event: LoadedEvent, needsData = true): TemplateView => ({
	event: { id: event.id, type: event.type, occurredAt: new Date(event.occurredAt).toISOString() },
	data: needsData ? (JSON.parse(event.data) as Record<string, unknown>) : {},
	webhook: { id: webhook.id, name: webhook.name },
	notification: { id: n.id },
});

/**
 * The request to send now: at the first send-out, shaped from the webhook's
 * templates and the event; after it, the stored body and headers byte for byte,
 * to the URL rendered afresh from the webhook's URL template as it is now (the
 * same URL unless the template changed), so a fixed URL is used and
 * credentials never go to a URL the webhook no longer has.
 */
const requestNow = (env: ShardEnv, n: LoadedNotification, webhook: WebhookRow, event: LoadedEvent): StoredRequest => {
	const { targetPolicy: policy } = readConfig(env);
	const stored = storedRequest(n);
	if (!stored) return shapeRequest(webhook, viewOf(n, webhook, event), { policy });
	return { ...stored, url: shapeUrl(webhook.url, viewOf(n, webhook, event, !isFixedUrl(webhook.url)), policy) };
};

/** A request that cannot be built, or aims where it may not go, is a failed attempt that sent nothing. */
const unsendable = (
	env: ShardEnv,
	n: NotificationRow,
	webhook: WebhookRow,
	err: ShapeError,
	attemptId: string,
	now: number,
) =>
	record(
		env,
		n,
		webhook,
		{
			attemptId,
			number: n.attemptCount + 1,
			startedAt: now,
			outcome: {
				succeeded: false,
				statusCode: null,
				errorKind: err.blocked ? "blocked" : "invalid_request",
				error: `${err.field}: ${err.message}`,
				responseExcerpt: null,
				durationMs: 0,
			},
			request: { method: "", url: "", headers: {}, body: "" },
		},
		{ storeRequest: false },
	);

/**
 * Whether the message is the gate's release of a parked notification for the
 * attempt it is still waiting to make. Its due time was only the sweeper's
 * safety net; a late or repeated release (the attempt went out meanwhile) is
 * an ordinary message.
 */
const releasedNow = (message: NotificationMessage, n: NotificationRow) =>
	message.released !== undefined && message.series === n.series && message.released === n.attemptCount + 1;

/** Decides what a message needs. Throws only on internal errors. */
export const plan = async (
	env: ShardEnv,
	message: NotificationMessage,
	loaded: Loaded | undefined,
	now: number,
	credentials: (webhook: WebhookRow) => Promise<Credentials>,
	regionOf: (webhook: WebhookRow) => Promise<string | null>,
): Promise<Planned | Due> => {
	if (!loaded) {
		console.warn(JSON.stringify({ msg: "message for unknown notification", notificationId: message.notificationId }));
		return { decision: ACK, writes: [] };
	}
	const { notification: n, webhook, event } = loaded;
	if (isFinal(n.status)) return { decision: ACK, writes: [] };
	if (!webhook || webhook.deletedAt !== null || !event) {
		return { decision: ACK, writes: [asStatement(env, fail(env, n, "webhook deleted"))] };
	}
	if (!webhook.enabled) return { decision: ACK, writes: [asStatement(env, skip(env, n, "webhook disabled"))] };
	// A message that arrives before its attempt is due (a duplicate) waits for it.
	// (A paused or parked one's due time is only the sweeper's safety net: the gate released it.)
	const waitMs = (n.nextAttemptAt ?? now) - now;
	if (waitMs > 1000 && n.status !== "paused" && !releasedNow(message, n)) {
		return { decision: requeueAfter(waitMs / 1000), writes: [] };
	}

	const attemptId = newId("att", now);
	let request: StoredRequest;
	try {
		request = requestNow(env, n, webhook, event);
	} catch (err) {
		if (!(err instanceof ShapeError)) throw err;
		return unsendable(env, n, webhook, err, attemptId, now);
	}
	return {
		n,
		webhook,
		input: {
			notificationId: n.id,
			series: n.series,
			number: n.attemptCount + 1,
			attemptId,
			request,
			requestStored: n.requestMethod !== null,
			...(await credentials(webhook)),
			timeoutMs: webhook.timeoutMs,
			maxConcurrency: webhook.maxConcurrency,
			region: await regionOf(webhook),
			shard: env.SHARD,
			webhookId: webhook.id,
			failureThreshold: webhook.failureThreshold,
			rateLimitPerSecond: webhook.rateLimitPerSecond,
			disableAfterHours: webhook.disableAfterHours,
		},
	};
};
