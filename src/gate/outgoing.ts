// What the gate sends out: the signed HTTP attempt to the receiver, and the
// queue messages that release what waited here (parked at the concurrency
// bound, or paused while the circuit was open). Messages go through the one
// counted sender of queue messages, like every other send.
import type { StoredRequest } from "../attempt/request";
import { type AttemptOutcome, type Route, sendAttempt } from "../attempt/send";
import { signatureHeaders } from "../attempt/sign";
import { chunk } from "../chunk";
import { SEND_BATCH_SIZE, sendMessages } from "../queue/messages";
import type { GateSend } from "./contract";
import type { ParkedRow } from "./tables/parked";

/** One attempt, signed here over the bytes actually sent, fresh every time; Basic auth added. */
export const signedAttempt = async (input: GateSend, request: StoredRequest, route: Route): Promise<AttemptOutcome> => {
	const secretHeaders: Record<string, string> = await signatureHeaders(
		input.signingSecrets,
		input.notificationId,
		request.body,
	);
	if (input.authorization) secretHeaders.authorization = input.authorization;
	return sendAttempt(request, secretHeaders, input.timeoutMs, route);
};

/**
 * Released parked notifications, each message naming the attempt its
 * notification waits to make. A part that fails is logged and left to the
 * alarm, which releases it again once the release counts as lost.
 */
export const enqueueParked = async (queue: Queue, shard: string, rows: ParkedRow[]) => {
	for (const part of chunk(rows, SEND_BATCH_SIZE)) {
		try {
			await sendMessages(
				queue,
				part.map((r) => ({ body: { notificationId: r.notification_id, series: r.series, released: r.number, shard } })),
			);
		} catch (err) {
			console.error(JSON.stringify({ msg: "parked release failed", notifications: part.length, error: String(err) }));
		}
	}
};

/** Released paused notifications (at most a round's limit, under one send's 100 messages). */
export const enqueuePaused = (queue: Queue, shard: string, ids: string[]) =>
	sendMessages(
		queue,
		ids.map((notificationId) => ({ body: { notificationId, shard } })),
	);
