// What a deliveries-queue message carries: ids only, so messages stay small.
export type DeliveryMessage = {
	notificationId: string;
};

/** Cloudflare Queues take at most 100 messages per sendBatch call. */
const SEND_BATCH_SIZE = 100;

export const enqueueDeliveries = async (queue: Queue, notificationIds: string[], delaySeconds = 0) => {
	for (let i = 0; i < notificationIds.length; i += SEND_BATCH_SIZE) {
		await queue.sendBatch(
			notificationIds.slice(i, i + SEND_BATCH_SIZE).map((notificationId) => ({
				body: { notificationId } satisfies DeliveryMessage,
				contentType: "json" as const,
				...(delaySeconds > 0 ? { delaySeconds } : {}),
			})),
		);
	}
};
