// One live stream: reads the log from the subscription's position, sends a
// batch line when it holds batchLimit events (or about 1 MB), or when
// batchTimeoutMs has passed (an empty batch is a keep-alive), and ends at
// streamTimeoutMs, when the client goes, when the lease is lost (the
// subscription was deleted) or when its oldest uncommitted batch has waited
// longer than commitTimeoutSeconds. While nothing is new it reads again every
// POLL_MS, so a new event goes out with the next batch, about a second later.
import type { SubscriptionRow } from "../db/schema";
import type { ShardEnv } from "../db/shards";
import { streamCursor } from "./cursor";
import { LEASE_RENEW_MS, releaseLease, renewLease } from "./lease";
import { readLog } from "./reader";
import type { StreamSettings } from "./schema";
import { positionOf } from "./subscriptions";

/** How often an idle stream looks for new events. */
export const POLL_MS = 200;
/** A batch goes out once its events' JSON comes to this much, whatever batchLimit says. */
export const BATCH_BYTES = 1_000_000;

export type StreamOutput = {
	/** Writes one line (the newline included); resolves when the client has taken it. */
	write: (line: string) => Promise<unknown>;
	/** Whether the client has gone. */
	aborted: () => boolean;
};

export type StreamEnd = "timeout" | "client" | "stalled" | "commit-timeout" | "lease-lost";

/** How long the last batch may take to reach a client at the end of the stream. */
const LAST_WRITE_MS = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Whether `promise` settled within `ms`. */
const within = async (promise: Promise<unknown>, ms: number) => {
	let timer: ReturnType<typeof setTimeout> | null = null;
	const late = new Promise<false>((resolve) => {
		timer = setTimeout(() => resolve(false), Math.max(0, ms));
	});
	try {
		return await Promise.race([promise.then(() => true), late]);
	} finally {
		clearTimeout(timer);
	}
};

/** A batch line: `{ cursor, events, purged? }`, the events spliced in as stored JSON. */
const batchLine = (cursor: string, events: string[], purged: number) =>
	`{"cursor":${JSON.stringify(cursor)},"events":[${events.join(",")}]${purged > 0 ? `,"purged":${purged}` : ""}}\n`;

/** Streams until one of the ends above; the lease is released before it returns, so the next stream may start at once. */
export const runStream = async (
	env: ShardEnv,
	sub: SubscriptionRow,
	leaseId: string,
	settings: StreamSettings,
	out: StreamOutput,
): Promise<StreamEnd> => {
	const started = Date.now();
	const endsAt = started + settings.streamTimeoutMs;
	let position = positionOf(sub);
	let events: string[] = [];
	let bytes = 0;
	let purged = 0;
	let batchStarted = started;
	let renewedAt = started;
	/** The batches with events sent and not yet committed: their cursor's seq and when they went. */
	const uncommitted: { seq: number; at: number }[] = [];

	/**
	 * Sends the batch; false when the client has not taken it by `deadline` (it stopped reading:
	 * the stream ends rather than wait on it past its time).
	 */
	const flush = async (now: number, deadline: number) => {
		const taken = await within(out.write(batchLine(streamCursor(sub.id, position), events, purged)), deadline - now);
		if (events.length > 0) uncommitted.push({ seq: position, at: now });
		events = [];
		bytes = 0;
		purged = 0;
		batchStarted = Date.now();
		return taken;
	};

	const loop = async (): Promise<StreamEnd> => {
		for (;;) {
			if (out.aborted()) return "client";
			const read = await readLog(env, {
				tenantId: sub.tenantId,
				subscriptionId: sub.id,
				patterns: sub.eventTypes,
				after: position,
				want: settings.batchLimit - events.length,
			});
			let now = Date.now();
			if (!read.subscription || read.subscription.leaseId !== leaseId) return "lease-lost";
			const committed = read.subscription.committedSeq ?? -1;
			while (uncommitted[0] && uncommitted[0].seq <= committed) uncommitted.shift();
			if (uncommitted[0] && now - uncommitted[0].at > settings.commitTimeoutSeconds * 1000) return "commit-timeout";
			events.push(...read.events);
			bytes += read.bytes;
			purged += read.purged;
			position = read.position;
			const due = events.length >= settings.batchLimit || bytes >= BATCH_BYTES;
			if ((due || now - batchStarted >= settings.batchTimeoutMs) && !(await flush(now, endsAt))) return "stalled";
			if (now >= endsAt) return "timeout";
			if (now - renewedAt >= LEASE_RENEW_MS) {
				if (!(await renewLease(env, sub.tenantId, sub.id, leaseId, now))) return "lease-lost";
				renewedAt = now;
			}
			if (read.more) continue;
			now = Date.now();
			await sleep(Math.min(POLL_MS, batchStarted + settings.batchTimeoutMs - now, endsAt - now));
		}
	};

	let end: StreamEnd = "client";
	try {
		end = await loop();
		// What was read and not yet sent goes out before the end, unless no one listens.
		if (end === "timeout" && (events.length > 0 || purged > 0)) await flush(Date.now(), Date.now() + LAST_WRITE_MS);
	} finally {
		if (end !== "lease-lost") await releaseLease(env, sub.tenantId, sub.id, leaseId);
	}
	return end;
};
