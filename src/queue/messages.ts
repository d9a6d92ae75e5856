// What a deliveries-queue message carries: ids, and the history shard they are
// on, so messages stay small.
// Large sets (bulk re-send, wide fan-out) travel as fan-out messages of up to
// 100 ids that the consumer turns into one message each, so no single
// invocation makes more than a few queue calls.
import { chunk } from "../chunk";
import { DEFAULT_SHARD } from "../db/shards";
import { count } from "../metrics";

/**
 * A notification in one of its series. A message names both, so a late message
 * of an older series (a dead letter, say) is known as one and never acts on a
 * newer series. (Messages from before this carry no series.)
 */
export type NotificationRef = { id: string; series?: number };

/**
 * The shard a message's notification is on. Messages from before shards carry
 * none: they belong to the `default` tenant, whose history is on DEFAULT_SHARD.
 */
export const shardOfMessage = (body: { shard?: string }) => body.shard ?? DEFAULT_SHARD;

/** One notification's message. */
export type NotificationMessage = {
	notificationId: string;
	series?: number;
	shard?: string;
	/**
	 * Set by the endpoint gate when it releases a parked notification: the
	 * attempt it waited to make, due now whatever `nextAttemptAt` says (that was
	 * only the sweeper's safety net).
	 */
	released?: number;
};

export type DeliveryMessage =
	| NotificationMessage
	| { fanOut: (string | [id: string, series: number])[]; shard?: string };

const bodyOf = ({ id, series }: NotificationRef, shard: string): DeliveryMessage =>
	series === undefined ? { notificationId: id, shard } : { notificationId: id, series, shard };

/** The notifications a fan-out message names. */
export const refsOf = (fanOut: (string | [string, number])[]): NotificationRef[] =>
	fanOut.map((entry) => (typeof entry === "string" ? { id: entry } : { id: entry[0], series: entry[1] }));

const fanOutEntry = ({ id, series }: NotificationRef): string | [string, number] =>
	series === undefined ? id : [id, series];

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

/** Enqueues notifications of one shard: a message each, or fan-out messages when many. */
export const enqueueDeliveries = async (queue: Queue, shard: string, notifications: NotificationRef[]) => {
	if (notifications.length <= SEND_BATCH_SIZE) {
		await sendAll(
			queue,
			notifications.map((ref) => bodyOf(ref, shard)),
			SEND_BATCH_SIZE,
		);
		return;
	}
	await sendAll(
		queue,
		chunk(notifications, FAN_OUT_IDS).map((part) => ({ fanOut: part.map(fanOutEntry), shard })),
		FAN_OUT_MESSAGES_PER_BATCH,
	);
};

// Coalesced enqueueing for ingest. Concurrent ingests in one isolate share a
// buffer: the first starts a drain (kept alive by its own waitUntil) that sends
// whatever has gathered, up to 100 messages per sendBatch, until the buffer is
// empty. Under load each queue call carries many events; alone, an event is sent
// at once, with no timer in the way. No request awaits another request's promise.
// A drain hands over after DRAIN_HANDOVER_MS so no single request's waitUntil
// runs for long; anything lost with the isolate is re-enqueued by the sweeper.
const DRAIN_HANDOVER_MS = 5_000;
const buffered: DeliveryMessage[] = [];
let draining = false;

/** Sends one part of the buffer; a failure is logged (the sweeper re-enqueues what it lost). */
const sendPart = (queue: Queue, part: DeliveryMessage[]) =>
	sendMessages(
		queue,
		part.map((body) => ({ body })),
	).catch((err) => {
		console.error(
			JSON.stringify({ msg: "enqueue failed after ingest", notifications: part.length, error: String(err) }),
		);
	});

const drain = async (queue: Queue) => {
	const started = Date.now();
	try {
		while (buffered.length > 0 && Date.now() - started < DRAIN_HANDOVER_MS)
			await sendPart(queue, buffered.splice(0, SEND_BATCH_SIZE));
	} finally {
		draining = false;
	}
	// Handing over: what is left goes out from here; new arrivals start a new drain.
	for (const part of chunk(buffered.splice(0), SEND_BATCH_SIZE)) await sendPart(queue, part);
};

/**
 * Enqueue an ingest's notifications after the answer. A wide fan-out goes out on
 * its own as fan-out messages; everything else joins the shared buffer.
 */
export const enqueueAfterAnswer = (
	queue: Queue,
	shard: string,
	notifications: NotificationRef[],
	waitUntil: (promise: Promise<unknown>) => void,
) => {
	if (notifications.length === 0) return;
	if (notifications.length > SEND_BATCH_SIZE) {
		waitUntil(
			enqueueDeliveries(queue, shard, notifications).catch((err) => {
				console.error(JSON.stringify({ msg: "enqueue failed after ingest", error: String(err) }));
			}),
		);
		return;
	}
	buffered.push(...notifications.map((ref) => bodyOf(ref, shard)));
	if (draining) return;
	draining = true;
	waitUntil(drain(queue));
};
