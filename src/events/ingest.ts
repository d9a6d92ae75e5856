// Ingest: store an event and one notification per matching webhook in one D1
// batch, then enqueue one small message per notification. Matching happens in
// SQL inside the batch (INSERT … SELECT … RETURNING), so an ingest costs one
// D1 call and one queue call, whatever the number of webhooks.

import { and, eq } from "drizzle-orm";
import { encodeTime } from "ulid";
import { database, isUniqueViolation } from "../db";
import { ingestCommitsOf } from "../db/group-commit";
import { events, ingestKeys } from "../db/schema";
import type { ShardEnv } from "../db/shards";
import { packText } from "../db/stored-text";
import { newId } from "../ids";
import { count } from "../metrics";
import { enqueueAfterAnswer, enqueueDeliveries } from "../queue/messages";
import { patternsMatching } from "../webhooks/filters";
import type { EventInput, IngestResult } from "./schema";
import { bumpHead, headSeq } from "./sequence";

export type Ingested = { result: IngestResult; repeated: boolean };

/**
 * One notification per webhook of the tenant (not deleted) that the event is
 * for; a disabled webhook's is stored `skipped`, so it can be re-sent once
 * enabled. Ids are ULID-shaped: the event's time, then 16 random hex digits.
 */
const fanOut = (which: string) => `
INSERT INTO notifications (id, tenant_id, event_id, webhook_id, event_type, status, attempt_count, series, "trigger", next_attempt_at, last_error, created_at, updated_at)
SELECT 'ntf_' || ?1 || hex(randomblob(8)), ?6, ?2, w.id, ?3,
  CASE WHEN w.enabled = 1 THEN 'pending' ELSE 'skipped' END, 0, 0, 'auto',
  CASE WHEN w.enabled = 1 THEN ?4 ELSE NULL END,
  CASE WHEN w.enabled = 1 THEN NULL ELSE 'webhook disabled' END, ?4, ?4
FROM webhooks w
WHERE ${which} AND w.tenant_id = ?6 AND w.deleted_at IS NULL
RETURNING id, status`;

/**
 * The webhooks whose filter matches, found by index in webhook_filters (?7 is
 * the filter entries that match the type, src/webhooks/filters.ts): ingest
 * reads no webhook that cannot match, however many the tenant or the shard has.
 */
const MATCHING =
	"w.id IN (SELECT f.webhook_id FROM webhook_filters f WHERE f.tenant_id = ?6 AND f.pattern IN (SELECT value FROM json_each(?7)))";
const FAN_OUT_MATCHING = fanOut(MATCHING);
/** Only the given webhook (?5): a test event. */
const FAN_OUT_ONE = fanOut("w.id = ?5");

/**
 * An event Hookline writes itself (src/ops-events/), for a caller's own batch,
 * with ingest's parameters ?1–?6 and, from ?8, those of `condition`: the event
 * and its notifications are written only while `condition` holds and the
 * tenant has no event of that id yet, so a write that comes again writes
 * nothing. The fan-out leaves out the webhook ?5 (the one the event is about)
 * and takes the filter entries ?7; the event row takes its data as ?7.
 */
export const guardedEventSql = (condition: string) => {
	const fresh = `NOT EXISTS (SELECT 1 FROM events e WHERE e.tenant_id = ?6 AND e.id = ?2) AND (${condition})`;
	return {
		fanOut: fanOut(`${MATCHING} AND w.id IS NOT ?5 AND ${fresh}`),
		// Its place in the tenant's log (./sequence.ts), given out only when the event is written.
		head: `INSERT INTO event_log_heads (tenant_id, last_seq) SELECT ?6, 1 WHERE ${fresh}
			ON CONFLICT (tenant_id) DO UPDATE SET last_seq = last_seq + 1`,
		event: `INSERT INTO events (tenant_id, id, type, occurred_at, data, received_at, notification_count, seq)
			SELECT ?6, ?2, ?3, ?4, ?7, ?4, (SELECT count(*) FROM notifications WHERE tenant_id = ?6 AND event_id = ?2), ${headSeq("?6")}
			WHERE ${fresh}`,
	};
};

/** The parameters ?1–?6 of `guardedEventSql`'s statements: as ingest binds them, with the webhook to leave out. */
export const guardedEventParams = (p: {
	tenantId: string;
	eventId: string;
	type: string;
	at: number;
	excludeWebhookId: string | null;
}) => [encodeTime(p.at, 10), p.eventId, p.type, p.at, p.excludeWebhookId, p.tenantId] as const;

/** The first answer for an idempotency key or event id seen before, if any. */
const findEarlier = async (env: ShardEnv, tenantId: string, key: string | undefined, eventId: string | undefined) => {
	const db = database(env);
	const earlierId = key
		? (
				await db.query.ingestKeys.findFirst({
					where: and(eq(ingestKeys.tenantId, tenantId), eq(ingestKeys.key, key)),
				})
			)?.eventId
		: undefined;
	const id = earlierId ?? eventId;
	if (!id) return undefined;
	const event = await db.query.events.findFirst({ where: and(eq(events.tenantId, tenantId), eq(events.id, id)) });
	return event && { id: event.id, type: event.type, notifications: event.notificationCount };
};

export const ingestEvent = async (
	env: ShardEnv,
	tenantId: string,
	input: EventInput,
	{
		idempotencyKey,
		webhookId,
		waitUntil,
		retried = false,
	}: {
		idempotencyKey?: string;
		webhookId?: string;
		waitUntil?: (promise: Promise<unknown>) => void;
		retried?: boolean;
	} = {},
): Promise<Ingested> => {
	// A body id needs no key row: the event's primary key already refuses a repeat.
	const key = idempotencyKey ? `key:${idempotencyKey}` : undefined;
	// A repeat is caught by the batch's unique keys; looking first only saves work on repeats.
	const now = Date.now();
	const eventId = input.id ?? newId("evt", now);
	const data = await packText(JSON.stringify(input.data));
	// Notifications first (no foreign keys), then the event with their count and its seq.
	const statements = [
		...(key
			? [
					env.DB.prepare("INSERT INTO ingest_keys (tenant_id, key, event_id, created_at) VALUES (?, ?, ?, ?)").bind(
						tenantId,
						key,
						eventId,
						now,
					),
				]
			: []),
		webhookId
			? env.DB.prepare(FAN_OUT_ONE).bind(encodeTime(now, 10), eventId, input.type, now, webhookId, tenantId)
			: env.DB.prepare(FAN_OUT_MATCHING).bind(
					encodeTime(now, 10),
					eventId,
					input.type,
					now,
					null,
					tenantId,
					JSON.stringify(patternsMatching(input.type)),
				),
		// The event's place in its tenant's log, given out inside this batch (./sequence.ts). A test
		// event, for one webhook only, stays out of the log: no stream or replay ever sees it.
		...(webhookId ? [] : [bumpHead(env.DB, tenantId)]),
		env.DB.prepare(
			`INSERT INTO events (tenant_id, id, type, occurred_at, data, received_at, notification_count, seq)
			 VALUES (?6, ?1, ?2, ?3, ?4, ?5, (SELECT count(*) FROM notifications WHERE tenant_id = ?6 AND event_id = ?1), ${webhookId ? "NULL" : headSeq("?6")})`,
		).bind(eventId, input.type, input.occurredAt ? Date.parse(input.occurredAt) : now, data, now, tenantId),
	];
	let created: { id: string; status: string }[];
	try {
		const results = (await (waitUntil
			? ingestCommitsOf(env.DB).batch(env.DB, statements, waitUntil)
			: env.DB.batch(statements))) as D1Result<{ id: string; status: string }>[];
		created = results[key ? 1 : 0]?.results ?? [];
		if (!waitUntil) count("d1Batches");
		count("d1IngestWriteStatements", statements.length);
		count("eventsIngested");
	} catch (err) {
		// A repeat (or a concurrent repeat that won the race): the batch rolled back whole.
		if (!isUniqueViolation(err)) throw err;
		const earlier = await findEarlier(env, tenantId, key, eventId);
		if (earlier) return { result: earlier, repeated: true };
		if (!key || retried) throw err;
		// The key outlived its event (retention purges them apart): it answers for nothing now.
		await database(env)
			.delete(ingestKeys)
			.where(and(eq(ingestKeys.tenantId, tenantId), eq(ingestKeys.key, key)));
		return ingestEvent(env, tenantId, input, { idempotencyKey, webhookId, waitUntil, retried: true });
	}

	// New notifications start in series 0.
	const ids = created.filter((n) => n.status === "pending").map((n) => ({ id: n.id, series: 0 }));
	// Stored is what the 202 promises; enqueueing finishes after the answer. Whatever is
	// stored but never enqueued, the sweeper re-enqueues once it is overdue.
	if (waitUntil) enqueueAfterAnswer(env.DELIVERIES, env.SHARD, ids, waitUntil);
	else
		await enqueueDeliveries(env.DELIVERIES, env.SHARD, ids).catch((err) => {
			console.error(JSON.stringify({ msg: "enqueue failed after ingest", eventId, error: String(err) }));
		});
	return { result: { id: eventId, type: input.type, notifications: created.length }, repeated: false };
};
