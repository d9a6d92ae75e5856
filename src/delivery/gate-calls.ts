// Sending the due attempts of a batch through their endpoint gates, and what
// each gate answer means for the notification.

import { chunk } from "../chunk";
import { asStatement } from "../db";
import type { ShardEnv } from "../db/shards";
import type { GateAnswer, GateResult } from "../gate";
import { gateOf } from "../gate";
import { pause, postpone } from "../history/transitions";
import { count } from "../metrics";
import { isFixedUrl } from "../templates";
import { disableForGone } from "../webhooks/service";
import { ACK, asError, type Planned, requeueAfter } from "./decision";
import { type Due, isDue } from "./plan";
import { record } from "./record";

/** A paused notification is re-enqueued by the sweeper this long after its probe time, should the gate's release be lost. */
const PAUSED_SAFETY_NET_MS = 3_600_000;
/** A parked notification is re-enqueued by the sweeper this long after it parked, should the gate's release be lost. */
export const PARKED_SAFETY_NET_MS = 3_600_000;
/** Gate calls of one batch in flight at once; the local queue hands over one batch at a time. */
const CONCURRENCY = 50;
/**
 * Attempts handed to one gate in one call: Workers and Durable Objects keep at
 * most 6 outgoing connections open per request, and a send that waited for one
 * would spend its timeout waiting. Larger groups go as several calls at once.
 */
const SENDS_PER_GATE_CALL = 6;
/** How long a notification whose gate is ahead of it (a newer series) waits before it is read again. */
const STALE_WAIT_SECONDS = 2;

/** Not sent now: the message comes back after `seconds`, and the notification is due then (so the sweeper adds no copy). */
const wait = (env: ShardEnv, n: Due["n"], seconds: number, now: number): Planned => ({
	decision: requeueAfter(seconds),
	writes: [asStatement(env, postpone(env, n, now + seconds * 1000))],
});

/** What the gate's answer means for the notification. */
const interpret = async (env: ShardEnv, { n, webhook }: Due, answer: GateAnswer, now: number): Promise<Planned> => {
	switch (answer.kind) {
		case "paused": {
			// The gate keeps it and releases it after recovery; no attempt is spent.
			const safetyNetAt = answer.until + PAUSED_SAFETY_NET_MS;
			return { decision: ACK, writes: [asStatement(env, pause(env, n, { reason: answer.reason, safetyNetAt }))] };
		}
		case "parked": {
			// The gate keeps it and enqueues it again when a slot frees; no attempt is spent and the
			// status stays. One write at most: its due time moves to the sweeper's safety net, unless
			// it is there already (parked before, released, and parked again).
			const netSet = n.nextAttemptAt !== null && n.nextAttemptAt >= now + PARKED_SAFETY_NET_MS / 2;
			return {
				decision: ACK,
				writes: netSet ? [] : [asStatement(env, postpone(env, n, now + PARKED_SAFETY_NET_MS))],
			};
		}
		case "full":
			// The gate sent nothing and takes no new work until its sweeps free space: a wait, never a send.
			console.error(
				JSON.stringify({
					msg: "gate storage full",
					notificationId: n.id,
					webhookId: webhook.id,
					reason: answer.reason,
				}),
			);
			return wait(env, n, answer.retryInSeconds, now);
		case "busy":
			return wait(env, n, answer.retryInSeconds, now);
		case "stale":
			return wait(env, n, STALE_WAIT_SECONDS, now);
		default: {
			const recorded = await record(env, n, webhook, answer, { storeRequest: n.requestMethod === null });
			// A 410 from the webhook's fixed URL says the endpoint is gone; from a URL that event
			// data chose, only that notification's target is (it fails alone, as not retryable).
			// (A replay too: the first record of a 410 may have been lost with its D1 batch.)
			if (answer.outcome.statusCode !== 410 || !isFixedUrl(webhook.url)) return recorded;
			const disabling = await disableForGone(env, webhook, answer.startedAt, now);
			return {
				...recorded,
				writes: [...recorded.writes, ...disabling.writes],
				afterCommit: async () => {
					await recorded.afterCommit?.();
					await disabling.afterCommit();
				},
			};
		}
	}
};

/**
 * How a batch's sends to one webhook go out: up to SENDS_PER_GATE_CALL a
 * call, and as many calls at once as keep the sends in flight within the
 * webhook's maxConcurrency (10 → two calls of 5; 50 → nine of 5). More would
 * find the gate at its bound and wait there, or park and come back through the
 * queue: a message, a gate call and a write more for each, and on a busy
 * machine a slot wait that runs out parks every send behind it.
 */
export const callShape = (maxConcurrency: number) => {
	const atOnce = Math.max(1, Math.ceil(maxConcurrency / SENDS_PER_GATE_CALL));
	return { perCall: Math.max(1, Math.floor(maxConcurrency / atOnce)), atOnce };
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

/** A bound shared by several callers: `run(fn)` starts fn once fewer than `limit` run. */
const bounded = (limit: number) => {
	let running = 0;
	const waiting: (() => void)[] = [];
	return async <R>(fn: () => Promise<R>): Promise<R> => {
		while (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
		running++;
		try {
			return await fn();
		} finally {
			running--;
			waiting.shift()?.();
		}
	};
};

/**
 * Sends the due attempts of a batch through their gates: one call per webhook
 * and up to SENDS_PER_GATE_CALL attempts, the gate running them side by side.
 * What was not due passes through; each result stays at its message's place.
 */
export const sendDue = async (
	env: ShardEnv,
	prepared: (Planned | Due | Error)[],
	now: number,
): Promise<(Planned | Error)[]> => {
	const results = [...prepared];
	const byWebhook = new Map<string, number[]>();
	prepared.forEach((p, i) => {
		if (!isDue(p)) return;
		const group = byWebhook.get(p.webhook.id);
		if (group) group.push(i);
		else byWebhook.set(p.webhook.id, [i]);
	});
	// Every webhook's calls side by side, each webhook's within its callShape, CONCURRENCY calls at most in all.
	const anyCall = bounded(CONCURRENCY);
	const sendCall = async ({ webhookId, part }: { webhookId: string; part: number[] }) => {
		const gate = gateOf(env, webhookId);
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
					results[i] = await interpret(env, prepared[i] as Due, answer, now);
				} catch (err) {
					results[i] = asError(err);
				}
			}),
		);
	};
	await Promise.all(
		[...byWebhook].map(([webhookId, indexes]) => {
			const { perCall, atOnce } = callShape((prepared[indexes[0] as number] as Due).input.maxConcurrency);
			return mapBounded(chunk(indexes, perCall), atOnce, (part) => anyCall(() => sendCall({ webhookId, part })));
		}),
	);
	return results as (Planned | Error)[];
};
