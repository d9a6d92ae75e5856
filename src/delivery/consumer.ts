// The deliveries-queue consumer: one notification per message. It acks only
// what it handled; an exception retries the message without spending one of
// the notification's attempts. Every send goes through the webhook's endpoint
// gate, which guarantees one attempt per number and nothing after success.
import { and, eq } from "drizzle-orm";
import { MAX_QUEUE_DELAY_SECONDS, readConfig } from "../config";
import { database } from "../db";
import { attempts, events, type NotificationRow, notifications, type WebhookRow, webhooks } from "../db/schema";
import type { GateRecord } from "../gate";
import { newId } from "../ids";
import { toBase64, unseal } from "../secrets";
import { type DeliveryMessage, enqueueDeliveries } from "./message";
import { ShapeError, type StoredRequest, shapeRequest } from "./request";
import { signatureHeaders } from "./sign";

/** Messages of one batch handled at once; the local queue hands over one batch at a time. */
const CONCURRENCY = 25;

/** What the consumer does with the message after handling it. */
export type Decision = { ack: true } | { ack: false; delaySeconds: number };

const ACK: Decision = { ack: true };
const later = (seconds: number): Decision => ({
	ack: false,
	delaySeconds: Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, Math.ceil(seconds))),
});

/** ±20 % jitter, capped by the queue's longest delay. */
export const jittered = (seconds: number, random = Math.random) =>
	Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, Math.round(seconds * (0.8 + 0.4 * random()))));

const load = async (env: Env, id: string) => {
	const [row] = await database(env)
		.select({ notification: notifications, webhook: webhooks, event: events })
		.from(notifications)
		.leftJoin(webhooks, eq(webhooks.id, notifications.webhookId))
		.leftJoin(events, eq(events.id, notifications.eventId))
		.where(eq(notifications.id, id));
	return row;
};

/** Updates the notification only while it is still in the series this consumer works on. */
const updateSeries = (env: Env, n: NotificationRow, fields: Partial<NotificationRow>) =>
	database(env)
		.update(notifications)
		.set({ ...fields, updatedAt: Date.now() })
		.where(and(eq(notifications.id, n.id), eq(notifications.series, n.series)));

/** Signing secrets in force: the current one, and the previous one during a rotation window. */
const signingSecrets = async (webhook: WebhookRow, key: string, now: number) => [
	await unseal(webhook.secretSealed, key),
	...(webhook.previousSecretSealed && (webhook.previousSecretExpiresAt ?? 0) > now
		? [await unseal(webhook.previousSecretSealed, key)]
		: []),
];

const secretHeaders = async (env: Env, webhook: WebhookRow, request: StoredRequest, notificationId: string) => {
	const key = readConfig(env).encryptionKey;
	const now = Date.now();
	const headers: Record<string, string> = await signatureHeaders(
		await signingSecrets(webhook, key, now),
		notificationId,
		request.body,
		now,
	);
	if (webhook.authUsername !== null && webhook.authPasswordSealed !== null) {
		const password = await unseal(webhook.authPasswordSealed, key);
		headers.authorization = `Basic ${toBase64(new TextEncoder().encode(`${webhook.authUsername}:${password}`))}`;
	}
	return headers;
};

const storedRequest = (n: NotificationRow): StoredRequest | undefined =>
	n.requestMethod === null
		? undefined
		: { method: n.requestMethod, url: n.requestUrl ?? "", headers: n.requestHeaders ?? {}, body: n.requestBody ?? "" };

/** Writes an attempt and what it means for the notification, in one D1 batch. */
const record = async (env: Env, n: NotificationRow, webhook: WebhookRow, attempt: GateRecord): Promise<Decision> => {
	const { outcome } = attempt;
	const maxAttempts = webhook.retryDelaysSeconds.length + 1;
	const retryable = !outcome.succeeded && outcome.errorKind !== "invalid_request" && outcome.statusCode !== 410;
	const delaySeconds =
		retryable && attempt.number < maxAttempts
			? Math.min(
					MAX_QUEUE_DELAY_SECONDS,
					Math.max(jittered(webhook.retryDelaysSeconds[attempt.number - 1] ?? 0), outcome.retryAfterSeconds ?? 0),
				)
			: undefined;
	const finished = Date.now();
	const db = database(env);
	await db.batch([
		db
			.insert(attempts)
			.values({
				id: attempt.attemptId,
				notificationId: n.id,
				series: n.series,
				number: attempt.number,
				trigger: n.trigger,
				startedAt: attempt.startedAt,
				durationMs: outcome.durationMs,
				succeeded: outcome.succeeded,
				statusCode: outcome.statusCode,
				errorKind: outcome.errorKind,
				error: outcome.error,
				responseExcerpt: outcome.responseExcerpt,
			})
			.onConflictDoNothing(),
		updateSeries(env, n, {
			status: outcome.succeeded ? "delivered" : delaySeconds === undefined ? "failed" : "retrying",
			attemptCount: attempt.number,
			lastError: outcome.error,
			nextAttemptAt: delaySeconds === undefined ? null : finished + delaySeconds * 1000,
			deliveredAt: outcome.succeeded ? finished : null,
		}),
	]);
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
	return delaySeconds === undefined ? ACK : later(delaySeconds);
};

/** Handles one notification; throws only on internal errors (database, crypto, gate). */
export const deliver = async (env: Env, notificationId: string, now = Date.now()): Promise<Decision> => {
	const row = await load(env, notificationId);
	if (!row) {
		console.warn(JSON.stringify({ msg: "message for unknown notification", notificationId }));
		return ACK;
	}
	const { notification: n, webhook, event } = row;
	if (n.status === "delivered" || n.status === "failed" || n.status === "skipped") return ACK;
	if (!webhook || webhook.deletedAt !== null || !event) {
		await updateSeries(env, n, { status: "failed", lastError: "webhook deleted", nextAttemptAt: null });
		return ACK;
	}
	if (!webhook.enabled) {
		await updateSeries(env, n, { status: "skipped", lastError: "webhook disabled", nextAttemptAt: null });
		return ACK;
	}
	// A message that arrives before its attempt is due (a duplicate) waits for it.
	if (n.nextAttemptAt !== null && n.nextAttemptAt - now > 1000) return later((n.nextAttemptAt - now) / 1000);

	const number = n.attemptCount + 1;
	const attemptId = newId("att", now);
	let request = storedRequest(n);
	if (!request) {
		try {
			request = shapeRequest(
				webhook,
				{
					event: { id: event.id, type: event.type, occurredAt: new Date(event.occurredAt).toISOString() },
					data: JSON.parse(event.data) as Record<string, unknown>,
					webhook: { id: webhook.id, name: webhook.name },
					notification: { id: n.id },
				},
				{ allowHttp: readConfig(env).allowPrivateTargets },
			);
		} catch (err) {
			if (!(err instanceof ShapeError)) throw err;
			const outcome = {
				succeeded: false,
				statusCode: null,
				errorKind: "invalid_request" as const,
				error: `${err.field}: ${err.message}`,
				responseExcerpt: null,
				durationMs: 0,
			};
			return record(env, n, webhook, { attemptId, number, startedAt: now, outcome });
		}
		// Stored before the first send, so every later attempt sends these bytes.
		await updateSeries(env, n, {
			requestMethod: request.method,
			requestUrl: request.url,
			requestHeaders: request.headers,
			requestBody: request.body,
		});
	}

	const gate = env.ENDPOINT_GATE.get(env.ENDPOINT_GATE.idFromName(webhook.id));
	const answer = await gate.send({
		notificationId: n.id,
		series: n.series,
		number,
		attemptId,
		request,
		secretHeaders: await secretHeaders(env, webhook, request, n.id),
		timeoutMs: webhook.timeoutMs,
		maxConcurrency: webhook.maxConcurrency,
	});
	switch (answer.kind) {
		case "busy":
			return later(answer.retryInSeconds);
		case "stale":
			return later(2);
		default:
			return record(env, n, webhook, answer);
	}
};

/** Runs `fn` over `items`, at most `limit` at a time. */
const forEachBounded = async <T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>) => {
	let next = 0;
	const worker = async () => {
		while (next < items.length) await fn(items[next++] as T);
	};
	await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
};

export const handleDeliveries = async (batch: MessageBatch<DeliveryMessage>, env: Env) => {
	await forEachBounded(batch.messages, CONCURRENCY, async (message) => {
		const body = message.body;
		try {
			if ("fanOut" in body) {
				await enqueueDeliveries(env.DELIVERIES, body.fanOut);
				message.ack();
				return;
			}
			const decision = await deliver(env, body.notificationId);
			if (decision.ack) message.ack();
			else message.retry({ delaySeconds: decision.delaySeconds });
		} catch (err) {
			// Internal failure before or after sending: the queue tries again later;
			// the notification's attempts are not spent (the gate replays a sent one).
			console.error(
				JSON.stringify({ msg: "delivery error", body, error: String(err), queueAttempts: message.attempts }),
			);
			message.retry({ delaySeconds: Math.min(300, 2 ** Math.min(message.attempts, 8)) });
		}
	});
};

/** Dead letters: messages the consumer could not handle at all. Their notifications end failed, with the reason. */
export const handleDeadLetters = async (batch: MessageBatch<DeliveryMessage>, env: Env) => {
	for (const message of batch.messages) {
		const body = message.body;
		const ids = "fanOut" in body ? body.fanOut : [body.notificationId];
		try {
			for (const id of ids) {
				const row = await load(env, id);
				if (!row || ["delivered", "failed", "skipped"].includes(row.notification.status)) continue;
				await updateSeries(env, row.notification, {
					status: "failed",
					lastError: "dead-lettered: the delivery message kept failing inside Hookline; see the worker logs",
					nextAttemptAt: null,
				});
			}
			message.ack();
		} catch (err) {
			console.error(JSON.stringify({ msg: "dead letter error", body, error: String(err) }));
			message.retry({ delaySeconds: 60 });
		}
	}
};
