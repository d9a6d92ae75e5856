// The deliveries-queue consumer: one notification per message. It acks only
// what it handled; an exception retries the message without spending one of
// the notification's attempts.
import { eq } from "drizzle-orm";
import { MAX_QUEUE_DELAY_SECONDS, readConfig } from "../config";
import { database } from "../db";
import { attempts, events, type NotificationRow, notifications, type WebhookRow, webhooks } from "../db/schema";
import { newId } from "../ids";
import { toBase64, unseal } from "../secrets";
import type { DeliveryMessage } from "./message";
import { ShapeError, type StoredRequest, shapeRequest } from "./request";
import { type AttemptOutcome, sendAttempt } from "./send";
import { signatureHeaders } from "./sign";

/** Messages of one batch handled at once; the local queue hands over one batch at a time. */
const CONCURRENCY = 25;

/** What the consumer does with the message after handling it. */
export type Decision = { ack: true } | { ack: false; delaySeconds: number };

const ACK: Decision = { ack: true };

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

const setStatus = (env: Env, id: string, fields: Partial<NotificationRow>) =>
	database(env)
		.update(notifications)
		.set({ ...fields, updatedAt: Date.now() })
		.where(eq(notifications.id, id));

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

/** Handles one notification; throws only on internal errors (database, crypto). */
export const deliver = async (env: Env, notificationId: string, now = Date.now()): Promise<Decision> => {
	const row = await load(env, notificationId);
	if (!row) {
		console.warn(JSON.stringify({ msg: "message for unknown notification", notificationId }));
		return ACK;
	}
	const { notification: n, webhook, event } = row;
	if (n.status === "delivered" || n.status === "failed" || n.status === "skipped") return ACK;
	if (!webhook || webhook.deletedAt !== null || !event) {
		await setStatus(env, n.id, { status: "failed", lastError: "webhook deleted", nextAttemptAt: null });
		return ACK;
	}
	if (!webhook.enabled) {
		await setStatus(env, n.id, { status: "skipped", lastError: "webhook disabled", nextAttemptAt: null });
		return ACK;
	}
	// A message that arrives before its attempt is due (a duplicate) waits for it.
	if (n.nextAttemptAt !== null && n.nextAttemptAt - now > 1000) {
		return { ack: false, delaySeconds: Math.min(MAX_QUEUE_DELAY_SECONDS, Math.ceil((n.nextAttemptAt - now) / 1000)) };
	}

	const number = n.attemptCount + 1;
	const maxAttempts = webhook.retryDelaysSeconds.length + 1;
	let request: StoredRequest | undefined;
	let outcome: AttemptOutcome;
	if (n.requestMethod !== null) {
		request = {
			method: n.requestMethod,
			url: n.requestUrl ?? "",
			headers: n.requestHeaders ?? {},
			body: n.requestBody ?? "",
		};
	}
	try {
		if (!request) {
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
			// Stored before the first send, so every later attempt sends these bytes.
			await setStatus(env, n.id, {
				requestMethod: request.method,
				requestUrl: request.url,
				requestHeaders: request.headers,
				requestBody: request.body,
			});
		}
		outcome = await sendAttempt(request, await secretHeaders(env, webhook, request, n.id), webhook.timeoutMs);
	} catch (err) {
		if (!(err instanceof ShapeError)) throw err;
		outcome = {
			succeeded: false,
			statusCode: null,
			errorKind: "invalid_request",
			error: `${err.field}: ${err.message}`,
			responseExcerpt: null,
			durationMs: 0,
		};
	}

	const finished = Date.now();
	const retryable = !outcome.succeeded && outcome.errorKind !== "invalid_request" && outcome.statusCode !== 410;
	const delaySeconds =
		retryable && number < maxAttempts
			? Math.min(
					MAX_QUEUE_DELAY_SECONDS,
					Math.max(jittered(webhook.retryDelaysSeconds[number - 1] ?? 0), outcome.retryAfterSeconds ?? 0),
				)
			: undefined;
	const db = database(env);
	await db.batch([
		db.insert(attempts).values({
			id: newId("att", now),
			notificationId: n.id,
			number,
			trigger: "auto",
			startedAt: now,
			durationMs: outcome.durationMs,
			succeeded: outcome.succeeded,
			statusCode: outcome.statusCode,
			errorKind: outcome.errorKind,
			error: outcome.error,
			responseExcerpt: outcome.responseExcerpt,
		}),
		db
			.update(notifications)
			.set({
				status: outcome.succeeded ? "delivered" : delaySeconds === undefined ? "failed" : "retrying",
				attemptCount: number,
				lastError: outcome.error,
				nextAttemptAt: delaySeconds === undefined ? null : finished + delaySeconds * 1000,
				deliveredAt: outcome.succeeded ? finished : null,
				updatedAt: finished,
			})
			.where(eq(notifications.id, n.id)),
	]);
	console.log(
		JSON.stringify({
			msg: "attempt",
			notificationId: n.id,
			webhookId: webhook.id,
			number,
			succeeded: outcome.succeeded,
			statusCode: outcome.statusCode,
			errorKind: outcome.errorKind,
			durationMs: outcome.durationMs,
			nextInSeconds: delaySeconds ?? null,
		}),
	);
	return delaySeconds === undefined ? ACK : { ack: false, delaySeconds };
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
		try {
			const decision = await deliver(env, message.body.notificationId);
			if (decision.ack) message.ack();
			else message.retry({ delaySeconds: decision.delaySeconds });
		} catch (err) {
			// Internal failure before or after sending: the queue tries again later;
			// the notification's attempts are not spent.
			console.error(
				JSON.stringify({
					msg: "delivery error",
					notificationId: message.body?.notificationId,
					error: String(err),
					queueAttempts: message.attempts,
				}),
			);
			message.retry({ delaySeconds: Math.min(300, 2 ** Math.min(message.attempts, 8)) });
		}
	});
};
