// What a deliveries-queue message carries: ids only, so messages stay small.
// Large sets (bulk re-send, wide fan-out) travel as fan-out messages of up to
// 100 ids that the consumer turns into one message each, so no single
// invocation makes more than a few queue calls.
import { chunk } from "../db";
import { count } from "../metrics";

export type DeliveryMessage = { notificationId: string } | { fanOut: string[] };

/** Cloudflare Queues take at most 100 messages (and 256 KB) per sendBatch call. */
export const SEND_BATCH_SIZE = 100;
const FAN_OUT_IDS = 100;
const FAN_OUT_MESSAGES_PER_BATCH = 50;

/** One sendBatch call (at most SEND_BATCH_SIZE messages), counted. */
export const sendMessages = async (queue: Queue, messages: { body: DeliveryMessage; delaySeconds?: number }[]) => {
	await queue.sendBatch(messages.map((m) => ({ ...m, contentType: "json" as const })));
	count("queueSendCalls");
	count("queueMessagesSent", messages.length);
};

const sendAll = async (queue: Queue, bodies: DeliveryMessage[], perBatch: number) => {
	for (const part of chunk(bodies, perBatch))
		await sendMessages(
			queue,
			part.map((body) => ({ body })),
		);
};

export const enqueueDeliveries = async (queue: Queue, notificationIds: string[]) => {
	if (notificationIds.length <= SEND_BATCH_SIZE) {
		await sendAll(
			queue,
			notificationIds.map((notificationId) => ({ notificationId })),
			SEND_BATCH_SIZE,
		);
		return;
	}
	await sendAll(
		queue,
		chunk(notificationIds, FAN_OUT_IDS).map((fanOut) => ({ fanOut })),
		FAN_OUT_MESSAGES_PER_BATCH,
	);
};
