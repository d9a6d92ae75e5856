// The deliveries-queue consumer. For a batch it loads every notification with
// its event and webhook, plans each message, sends the due attempts through
// their webhooks' endpoint gates, and writes all attempts and status changes in
// one D1 batch. It acks only what it handled; an internal error retries the
// message without spending an attempt (the gate replays an attempt that was
// sent but not recorded).

import type { WaitUntil } from "../access/cache";
import { chunk } from "../chunk";
import { readConfig } from "../config";
import { type ShardEnv, shardEnv } from "../db/shards";
import { count } from "../metrics";
import {
	type DeliveryMessage,
	enqueueDeliveries,
	type NotificationMessage,
	refsOf,
	SEND_BATCH_SIZE,
	sendMessages,
	shardOfMessage,
} from "../queue/messages";
import { credentialsCache } from "./credentials";
import { asError, type Decision } from "./decision";
import { sendDue } from "./gate-calls";
import { loadAll } from "./load";
import { plan } from "./plan";
import { regionsOfBatch } from "./region";

/** Handles notifications' messages; each answer is a Decision, or the internal error that kept it from one. */
const deliverAll = async (
	env: ShardEnv,
	messages: NotificationMessage[],
	now = Date.now(),
	waitUntil?: WaitUntil,
): Promise<(Decision | Error)[]> => {
	const loaded = await loadAll(
		env,
		messages.map((m) => m.notificationId),
	);
	const credentials = credentialsCache(readConfig(env).encryptionKey, now);
	const regionOf = regionsOfBatch(env, waitUntil);
	const prepared = await Promise.all(
		messages.map(async (message) => {
			try {
				return await plan(env, message, loaded.get(message.notificationId), now, credentials, regionOf);
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
	await Promise.all(
		planned.map(async (p) => {
			if (p instanceof Error || !p.afterCommit) return;
			try {
				await p.afterCommit();
			} catch (err) {
				// Recorded already; what follows a commit is best effort, and says so.
				console.error(JSON.stringify({ msg: "after-commit step failed", error: String(err) }));
			}
		}),
	);
	return planned.map((p) => (p instanceof Error ? p : p.decision));
};

/** Each shard's messages handled together (a batch may mix tenants of every shard); answers in the messages' order. */
const deliverByShard = async (
	env: Env,
	messages: NotificationMessage[],
	waitUntil?: WaitUntil,
): Promise<(Decision | Error)[]> => {
	const byShard = new Map<string, number[]>();
	messages.forEach((message, i) => {
		const shard = shardOfMessage(message);
		const indexes = byShard.get(shard);
		if (indexes) indexes.push(i);
		else byShard.set(shard, [i]);
	});
	const results: (Decision | Error)[] = new Array(messages.length);
	await Promise.all(
		[...byShard].map(async ([shard, indexes]) => {
			let answers: (Decision | Error)[];
			try {
				answers = await deliverAll(
					shardEnv(env, shard),
					indexes.map((i) => messages[i] as NotificationMessage),
					Date.now(),
					waitUntil,
				);
			} catch (err) {
				answers = indexes.map(() => asError(err));
			}
			indexes.forEach((index, k) => {
				results[index] = answers[k] ?? asError(new Error("no result"));
			});
		}),
	);
	return results;
};

/** One notification, start to finish (tests and tools); `message` as the queue would carry it. */
export const deliver = async (
	env: ShardEnv,
	id: string,
	now = Date.now(),
	message: Omit<NotificationMessage, "notificationId"> = {},
): Promise<Decision> => {
	const [result] = await deliverAll(env, [{ ...message, notificationId: id }], now);
	if (result instanceof Error || !result) throw result ?? new Error("no result");
	return result;
};

/** `ctx`: the invocation's, so the tenant directory refreshes after the batch rather than before it. */
export const handleDeliveries = async (batch: MessageBatch<DeliveryMessage>, env: Env, ctx?: ExecutionContext) => {
	count("queueBatches");
	count("queueMessagesHandled", batch.messages.length);
	const single: Message<NotificationMessage>[] = [];
	for (const message of batch.messages) {
		const body = message.body;
		if ("fanOut" in body) {
			try {
				await enqueueDeliveries(env.DELIVERIES, shardOfMessage(body), refsOf(body.fanOut));
				message.ack();
			} catch (err) {
				console.error(JSON.stringify({ msg: "fan-out error", error: String(err) }));
				message.retry({ delaySeconds: 5 });
			}
		} else single.push(message as Message<NotificationMessage>);
	}
	if (single.length === 0) return;
	const results = await deliverByShard(
		env,
		single.map((m) => m.body),
		ctx && ((promise) => ctx.waitUntil(promise)),
	);
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
