// The deliveries-queue consumer. For a batch it loads every notification with
// its event and webhook in one read per 90 messages, hands the due attempts to
// each webhook's endpoint gate in one call per webhook and six attempts (the
// gate sends them side by side), and writes all attempts and status changes in
// one D1 batch. It acks only what it handled; an internal error retries the
// message without spending an attempt (the gate replays an attempt that was
// sent but not recorded).
import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import { MAX_QUEUE_DELAY_SECONDS, readConfig } from "../config";
import { chunk, database } from "../db";
import { type EventRow, events, type NotificationRow, notifications, type WebhookRow, webhooks } from "../db/schema";
import type { EndpointGate, GateAnswer, GateRecord, GateResult, GateSend } from "../gate";
import { newId } from "../ids";
import { count } from "../metrics";
import { toBase64, unseal } from "../secrets";
import { disableStatements } from "../webhooks/disable";
import { type DeliveryMessage, enqueueDeliveries, SEND_BATCH_SIZE, sendMessages } from "./message";
import { ShapeError, type StoredRequest, shapeRequest } from "./request";

/** A paused notification is re-enqueued by the sweeper this long after its probe time, should the gate's release be lost. */
const PAUSED_SAFETY_NET_MS = 3_600_000;
/** Gate calls of one batch in flight at once; the local queue hands over one batch at a time. */
const CONCURRENCY = 50;
/**
 * Attempts handed to one gate in one call: Workers and Durable Objects keep at
 * most 6 outgoing connections open per request, and a send that waited for one
 * would spend its timeout waiting. Larger groups go as several calls at once.
 */
const SENDS_PER_GATE_CALL = 6;
/** Ids per `IN (...)` list, under D1's 100 bound parameters. */
const IDS_PER_QUERY = 90;

/**
 * What the consumer does with the message after handling it: ack it, retry it
 * after a delay (the next scheduled attempt), or requeue it, that is ack it and
 * send a fresh delayed message, for waits that are not attempts (busy gate,
 * early arrival) so they never count toward the queue's max_retries.
 */
export type Decision = { ack: true } | { ack: false; delaySeconds: number; requeue?: true };

const ACK: Decision = { ack: true };
const clampDelay = (seconds: number) => Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, Math.ceil(seconds)));
const later = (seconds: number): Decision => ({ ack: false, delaySeconds: clampDelay(seconds) });
const wait = (seconds: number): Decision => ({ ack: false, delaySeconds: clampDelay(seconds), requeue: true });

/** ±20 % jitter, capped by the queue's longest delay. */
export const jittered = (seconds: number, random = Math.random) =>
	Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, Math.round(seconds * (0.8 + 0.4 * random()))));

type Loaded = { notification: NotificationRow; event: EventRow | null; webhook: WebhookRow | undefined };

/**
 * The batch read for `size` ids, built once per size and binding: building this
 * three-table select costs more main-thread time than running it (about half a
 * millisecond), and every consumer batch needs one.
 */
const loadQuery = (env: Env, size: number) => {
	let bySize = loadQueries.get(env.DB);
	if (!bySize) {
		bySize = new Map();
		loadQueries.set(env.DB, bySize);
	}
	let query = bySize.get(size);
	if (!query) {
		query = buildLoadQuery(env, size);
		bySize.set(size, query);
	}
	return query;
};
const buildLoadQuery = (env: Env, size: number) =>
	database(env)
		.select({ notification: notifications, event: events, webhook: webhooks })
		.from(notifications)
		.leftJoin(events, eq(events.id, notifications.eventId))
		.leftJoin(webhooks, eq(webhooks.id, notifications.webhookId))
		.where(
			inArray(
				notifications.id,
				Array.from({ length: size }, (_, i) => sql.placeholder(`id${i}`)),
			),
		)
		.prepare();
const loadQueries = new WeakMap<D1Database, Map<number, ReturnType<typeof buildLoadQuery>>>();

/** The batch's notifications with their events and webhooks: one read per 90 messages. */
const loadAll = async (env: Env, ids: string[]) => {
	const unique = [...new Set(ids)];
	const rows = (
		await Promise.all(
			chunk(unique, IDS_PER_QUERY).map((part) =>
				loadQuery(env, part.length).all(Object.fromEntries(part.map((id, i) => [`id${i}`, id]))),
			),
		)
	).flat();
	count("d1Reads", Math.ceil(unique.length / IDS_PER_QUERY));
	return new Map<string, Loaded>(
		rows.map((r) => [
			r.notification.id,
			{ notification: r.notification, event: r.event, webhook: r.webhook ?? undefined },
		]),
	);
};

/**
 * An update of the notification that applies only while it is still in the
 * series this consumer works on, and where `only` holds (a wait's conditions,
 * below). An attempt's record has its own prepared statement (RECORD_WHERE).
 */
const updateSeries = (env: Env, n: NotificationRow, fields: Partial<NotificationRow>, only?: SQL) =>
	database(env)
		.update(notifications)
		.set({ ...fields, updatedAt: Date.now() })
		.where(and(eq(notifications.id, n.id), eq(notifications.series, n.series), only));

/**
 * A wait's update (paused, busy, stale): only while the notification still
 * waits at the attempt this consumer saw, so a late write never takes back a
 * delivery or a newer attempt recorded meanwhile.
 */
const updateWaiting = (env: Env, n: NotificationRow, fields: Partial<NotificationRow>) =>
	updateSeries(
		env,
		n,
		fields,
		and(
			eq(notifications.attemptCount, n.attemptCount),
			inArray(notifications.status, ["pending", "retrying", "paused"]),
		),
	);

type Credentials = { signingSecrets: string[]; authorization?: string };

/**
 * A webhook's signing secrets in force (the current one, and the previous one
 * during a rotation window) and its Basic-auth header, unsealed once per batch
 * and webhook rather than once per message.
 */
const credentialsCache = (key: string, now: number) => {
	const cache = new Map<string, Promise<Credentials>>();
	const unsealAll = async (webhook: WebhookRow): Promise<Credentials> => ({
		signingSecrets: [
			await unseal(webhook.secretSealed, key),
			...(webhook.previousSecretSealed && (webhook.previousSecretExpiresAt ?? 0) > now
				? [await unseal(webhook.previousSecretSealed, key)]
				: []),
		],
		authorization:
			webhook.authUsername !== null && webhook.authPasswordSealed !== null
				? `Basic ${toBase64(new TextEncoder().encode(`${webhook.authUsername}:${await unseal(webhook.authPasswordSealed, key)}`))}`
				: undefined,
	});
	return (webhook: WebhookRow) => {
		let credentials = cache.get(webhook.id);
		if (!credentials) {
			credentials = unsealAll(webhook);
			// A failed unseal is not kept: the next message of the batch tries again.
			credentials.catch(() => cache.delete(webhook.id));
			cache.set(webhook.id, credentials);
		}
		return credentials;
	};
};

const storedRequest = (n: NotificationRow): StoredRequest | undefined =>
	n.requestMethod === null
		? undefined
		: { method: n.requestMethod, url: n.requestUrl ?? "", headers: n.requestHeaders ?? {}, body: n.requestBody ?? "" };

type Planned = { decision: Decision; writes: D1PreparedStatement[] };

/** A drizzle statement as a D1 one, so the batch can mix it with the prepared ones below. */
const d1 = (env: Env, query: { toSQL(): { sql: string; params: unknown[] } }) => {
	const { sql: text, params } = query.toSQL();
	return env.DB.prepare(text).bind(...params);
};

// An attempt's two writes run for every message, so they are plain prepared D1
// statements: building them with drizzle cost more main-thread time than running
// them. The update applies only in the series this consumer works on and only
// when it moves the attempt count forward, so a late write never takes the
// record back.
const INSERT_ATTEMPT = `INSERT INTO attempts (id, notification_id, series, number, "trigger", started_at, duration_ms,
  succeeded, status_code, error_kind, error, response_excerpt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT DO NOTHING`;
const RECORD_SET =
	"status = ?, attempt_count = ?, last_error = ?, next_attempt_at = ?, delivered_at = ?, updated_at = ?";
const RECORD_WHERE = "WHERE id = ? AND series = ? AND attempt_count < ?";
const UPDATE_RECORD = `UPDATE notifications SET ${RECORD_SET} ${RECORD_WHERE}`;
/** The first send-out's record also stores the request as it was computed. */
const UPDATE_RECORD_WITH_REQUEST = `UPDATE notifications SET ${RECORD_SET},
  request_method = ?, request_url = ?, request_headers = ?, request_body = ? ${RECORD_WHERE}`;

/** The attempt's record and what it means for the notification: two statements. */
const record = (
	env: Env,
	n: NotificationRow,
	webhook: WebhookRow,
	attempt: GateRecord,
	{ storeRequest }: { storeRequest: boolean },
): Planned => {
	const { outcome } = attempt;
	const maxAttempts = webhook.retryDelaysSeconds.length + 1;
	const retryable =
		!outcome.succeeded &&
		outcome.errorKind !== "invalid_request" &&
		outcome.errorKind !== "blocked" &&
		outcome.statusCode !== 410;
	const delaySeconds =
		retryable && attempt.number < maxAttempts
			? Math.min(
					MAX_QUEUE_DELAY_SECONDS,
					Math.max(jittered(webhook.retryDelaysSeconds[attempt.number - 1] ?? 0), outcome.retryAfterSeconds ?? 0),
				)
			: undefined;
	const finished = Date.now();
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
	return {
		decision: delaySeconds === undefined ? ACK : later(delaySeconds),
		writes: [
			env.DB.prepare(INSERT_ATTEMPT).bind(
				attempt.attemptId,
				n.id,
				n.series,
				attempt.number,
				n.trigger,
				attempt.startedAt,
				outcome.durationMs,
				outcome.succeeded ? 1 : 0,
				outcome.statusCode ?? null,
				outcome.errorKind ?? null,
				outcome.error ?? null,
				outcome.responseExcerpt ?? null,
			),
			env.DB.prepare(storeRequest ? UPDATE_RECORD_WITH_REQUEST : UPDATE_RECORD).bind(
				outcome.succeeded ? "delivered" : delaySeconds === undefined ? "failed" : "retrying",
				attempt.number,
				outcome.error ?? null,
				delaySeconds === undefined ? null : finished + delaySeconds * 1000,
				outcome.succeeded ? finished : null,
				Date.now(),
				// The request is stored with the first attempt's record: the gate keeps it meanwhile.
				...(storeRequest
					? [attempt.request.method, attempt.request.url, JSON.stringify(attempt.request.headers), attempt.request.body]
					: []),
				n.id,
				n.series,
				attempt.number,
			),
		],
	};
};

/** A notification whose attempt is due: what to ask its webhook's gate, and what to record with the answer. */
type Due = { n: NotificationRow; webhook: WebhookRow; input: GateSend };

const isDue = (p: Planned | Due | Error): p is Due => !(p instanceof Error) && "input" in p;

const asError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));

/**
 * Decides what a message needs: nothing, a write without a send, or a send
 * through the gate (shaping the request on the first send-out). Throws only on
 * internal errors.
 */
const prepare = async (
	env: Env,
	id: string,
	loaded: Loaded | undefined,
	now: number,
	credentials: (webhook: WebhookRow) => Promise<Credentials>,
): Promise<Planned | Due> => {
	if (!loaded) {
		console.warn(JSON.stringify({ msg: "message for unknown notification", notificationId: id }));
		return { decision: ACK, writes: [] };
	}
	const { notification: n, webhook, event } = loaded;
	if (n.status === "delivered" || n.status === "failed" || n.status === "skipped") return { decision: ACK, writes: [] };
	if (!webhook || webhook.deletedAt !== null || !event) {
		return {
			decision: ACK,
			writes: [d1(env, updateSeries(env, n, { status: "failed", lastError: "webhook deleted", nextAttemptAt: null }))],
		};
	}
	if (!webhook.enabled) {
		return {
			decision: ACK,
			writes: [
				d1(env, updateSeries(env, n, { status: "skipped", lastError: "webhook disabled", nextAttemptAt: null })),
			],
		};
	}
	// A message that arrives before its attempt is due (a duplicate) waits for it.
	// (A paused one's due time is only the sweeper's safety net: the gate released it.)
	if (n.status !== "paused" && n.nextAttemptAt !== null && n.nextAttemptAt - now > 1000) {
		return { decision: wait((n.nextAttemptAt - now) / 1000), writes: [] };
	}

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
				{ policy: readConfig(env).targetPolicy },
			);
		} catch (err) {
			if (!(err instanceof ShapeError)) throw err;
			const outcome = {
				succeeded: false,
				statusCode: null,
				errorKind: err.blocked ? ("blocked" as const) : ("invalid_request" as const),
				error: `${err.field}: ${err.message}`,
				responseExcerpt: null,
				durationMs: 0,
			};
			const nothingSent = { method: "", url: "", headers: {}, body: "" };
			return record(
				env,
				n,
				webhook,
				{ attemptId, number, startedAt: now, outcome, request: nothingSent },
				{ storeRequest: false },
			);
		}
	}
	return {
		n,
		webhook,
		input: {
			notificationId: n.id,
			series: n.series,
			number,
			attemptId,
			request,
			...(await credentials(webhook)),
			timeoutMs: webhook.timeoutMs,
			maxConcurrency: webhook.maxConcurrency,
			webhookId: webhook.id,
			failureThreshold: webhook.failureThreshold,
			rateLimitPerSecond: webhook.rateLimitPerSecond,
			disableAfterHours: webhook.disableAfterHours,
		},
	};
};

/** What the gate's answer means for the notification. */
const interpret = async (
	env: Env,
	{ n, webhook }: Due,
	answer: GateAnswer,
	gate: DurableObjectStub<EndpointGate>,
	now: number,
): Promise<Planned> => {
	switch (answer.kind) {
		case "paused":
			// The gate keeps it and releases it after recovery; no attempt is spent. The due
			// time is only the sweeper's safety net, should the gate's release be lost.
			return {
				decision: ACK,
				writes: [
					d1(
						env,
						updateWaiting(env, n, {
							status: "paused",
							lastError: answer.reason,
							nextAttemptAt: answer.until + PAUSED_SAFETY_NET_MS,
						}),
					),
				],
			};
		case "busy":
		case "stale": {
			// Moving the due time keeps the sweeper from adding copies of a waiting notification.
			const seconds = answer.kind === "busy" ? answer.retryInSeconds : 2;
			return {
				decision: wait(seconds),
				writes: [d1(env, updateWaiting(env, n, { nextAttemptAt: now + seconds * 1000 }))],
			};
		}
		default: {
			const recorded = record(env, n, webhook, answer, { storeRequest: n.requestMethod === null });
			// (A replay too: the first record of a 410 may have been lost with its D1 batch.)
			if (answer.outcome.statusCode !== 410) return recorded;
			// 410 Gone: the receiver says this endpoint is no more. Disable the webhook at once.
			await gate.disabled(now);
			const reason = `the receiver answered 410 Gone at ${new Date(answer.startedAt).toISOString()}`;
			return {
				...recorded,
				writes: [...recorded.writes, ...disableStatements(env, webhook.id, { reason, at: now }).map((q) => d1(env, q))],
			};
		}
	}
};

/**
 * Sends the due attempts of a batch through their gates: one call per webhook
 * and up to SENDS_PER_GATE_CALL attempts, the gate running them side by side.
 * What was not due passes through; each result stays at its message's place.
 */
const sendDue = async (env: Env, prepared: (Planned | Due | Error)[], now: number): Promise<(Planned | Error)[]> => {
	const results = [...prepared];
	const byWebhook = new Map<string, number[]>();
	prepared.forEach((p, i) => {
		if (!isDue(p)) return;
		const group = byWebhook.get(p.webhook.id);
		if (group) group.push(i);
		else byWebhook.set(p.webhook.id, [i]);
	});
	const calls = [...byWebhook].flatMap(([webhookId, indexes]) =>
		chunk(indexes, SENDS_PER_GATE_CALL).map((part) => ({ webhookId, part })),
	);
	await mapBounded(calls, CONCURRENCY, async ({ webhookId, part }) => {
		const gate = env.ENDPOINT_GATE.get(env.ENDPOINT_GATE.idFromName(webhookId));
		count("gateCalls");
		let answers: GateResult[];
		try {
			answers = await gate.sendMany(part.map((i) => (prepared[i] as Due).input));
		} catch (err) {
			// Sent or not, the gate's ledger replays what went out when the messages come back.
			for (const i of part) results[i] = asError(err);
			return;
		}
		await Promise.all(
			part.map(async (i, k) => {
				const answer = answers[k];
				try {
					if (!answer) throw new Error("the gate gave no answer");
					if (answer.kind === "error") throw new Error(answer.error);
					results[i] = await interpret(env, prepared[i] as Due, answer, gate, now);
				} catch (err) {
					results[i] = asError(err);
				}
			}),
		);
	});
	return results as (Planned | Error)[];
};

/** Runs `fn` over `items`, at most `limit` at a time. */
const mapBounded = async <T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>) => {
	const results = new Array<R>(items.length);
	let next = 0;
	const worker = async () => {
		while (next < items.length) {
			const i = next++;
			results[i] = await fn(items[i] as T);
		}
	};
	await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
	return results;
};

/** Handles notifications; each answer is a Decision, or the internal error that kept it from one. */
export const deliverAll = async (env: Env, ids: string[], now = Date.now()): Promise<(Decision | Error)[]> => {
	const loaded = await loadAll(env, ids);
	const credentials = credentialsCache(readConfig(env).encryptionKey, now);
	const prepared = await Promise.all(
		ids.map(async (id) => {
			try {
				return await prepare(env, id, loaded.get(id), now, credentials);
			} catch (err) {
				return asError(err);
			}
		}),
	);
	const planned = await sendDue(env, prepared, now);
	const writes = planned.flatMap((p) => (p instanceof Error ? [] : p.writes));
	if (writes.length > 0) {
		try {
			await env.DB.batch(writes);
			count("d1Batches");
			count("d1DeliveryWriteStatements", writes.length);
		} catch (err) {
			// Nothing of this batch was recorded: whatever wrote must run again (sent attempts replay).
			const error = asError(err);
			return planned.map((p) => (p instanceof Error || p.writes.length > 0 ? error : p.decision));
		}
	}
	return planned.map((p) => (p instanceof Error ? p : p.decision));
};

/** One notification, start to finish (tests and tools). */
export const deliver = async (env: Env, id: string, now = Date.now()): Promise<Decision> => {
	const [result] = await deliverAll(env, [id], now);
	if (result instanceof Error || !result) throw result ?? new Error("no result");
	return result;
};

export const handleDeliveries = async (batch: MessageBatch<DeliveryMessage>, env: Env) => {
	count("queueMessagesHandled", batch.messages.length);
	const single: Message<{ notificationId: string }>[] = [];
	for (const message of batch.messages) {
		const body = message.body;
		if ("fanOut" in body) {
			try {
				await enqueueDeliveries(env.DELIVERIES, body.fanOut);
				message.ack();
			} catch (err) {
				console.error(JSON.stringify({ msg: "fan-out error", error: String(err) }));
				message.retry({ delaySeconds: 5 });
			}
		} else single.push(message as Message<{ notificationId: string }>);
	}
	if (single.length === 0) return;
	let results: (Decision | Error)[];
	try {
		results = await deliverAll(
			env,
			single.map((m) => m.body.notificationId),
		);
	} catch (err) {
		results = single.map(() => asError(err));
	}
	const requeued = single.flatMap((message, i) => {
		const result = results[i];
		return result && !(result instanceof Error) && !result.ack && result.requeue ? [{ message, result }] : [];
	});
	for (const part of chunk(requeued, SEND_BATCH_SIZE)) {
		try {
			await sendMessages(
				env.DELIVERIES,
				part.map(({ message, result }) => ({ body: message.body, delaySeconds: result.delaySeconds })),
			);
		} catch (err) {
			// Could not requeue these: retry them instead (the others were requeued already).
			console.error(JSON.stringify({ msg: "requeue failed", error: String(err) }));
			for (const { result } of part) result.requeue = undefined;
		}
	}
	single.forEach((message, i) => {
		const result = results[i];
		if (result === undefined || result instanceof Error) {
			// Internal failure: the queue tries again later; the notification's attempts are not spent.
			console.error(
				JSON.stringify({
					msg: "delivery error",
					notificationId: message.body.notificationId,
					error: String(result),
					queueAttempts: message.attempts,
				}),
			);
			message.retry({ delaySeconds: Math.min(300, 2 ** Math.min(message.attempts, 8)) });
		} else if (result.ack || result.requeue) message.ack();
		else message.retry({ delaySeconds: result.delaySeconds });
	});
};

/** Dead letters: messages the consumer could not handle at all. Their notifications end failed, with the reason. */
export const handleDeadLetters = async (batch: MessageBatch<DeliveryMessage>, env: Env) => {
	for (const message of batch.messages) {
		const body = message.body;
		if ("fanOut" in body) {
			// Nothing was attempted for these yet: the sweeper re-enqueues them once overdue.
			message.ack();
			continue;
		}
		try {
			const loaded = await loadAll(env, [body.notificationId]);
			const writes = [...loaded.values()]
				.filter(({ notification: n }) => !["delivered", "failed", "skipped"].includes(n.status))
				.map(({ notification: n }) =>
					d1(
						env,
						updateSeries(env, n, {
							status: "failed",
							lastError: "dead-lettered: the delivery message kept failing inside Hookline; see the worker logs",
							nextAttemptAt: null,
						}),
					),
				);
			if (writes.length > 0) await env.DB.batch(writes);
			message.ack();
		} catch (err) {
			console.error(JSON.stringify({ msg: "dead letter error", body, error: String(err) }));
			message.retry({ delaySeconds: 60 });
		}
	}
};
