// Ingest: store an event and one notification per matching webhook in one D1
// batch, then enqueue one small message per notification.
import { and, eq, getTableColumns, isNull } from "drizzle-orm";
import { chunk, database, rowsPerInsert } from "../db";
import { events, ingestKeys, type NewNotificationRow, notifications, webhooks } from "../db/schema";
import { enqueueDeliveries } from "../delivery/message";
import { newId } from "../ids";
import { count } from "../metrics";
import { matchesEventType } from "./match";
import type { EventInput, IngestResult } from "./schema";

export type Ingested = { result: IngestResult; repeated: boolean };

/** drizzle binds every column of a row, defaults included. */
const NOTIFICATION_COLUMNS = Object.keys(getTableColumns(notifications)).length;

/** The first answer for an idempotency key or event id seen before, if any. */
const findEarlier = async (env: Env, key: string | undefined, eventId: string | undefined) => {
	const db = database(env);
	const earlierId = key
		? (await db.query.ingestKeys.findFirst({ where: eq(ingestKeys.key, key) }))?.eventId
		: undefined;
	const id = earlierId ?? eventId;
	if (!id) return undefined;
	const event = await db.query.events.findFirst({ where: eq(events.id, id) });
	return event && { id: event.id, type: event.type, notifications: event.notificationCount };
};

const isUniqueViolation = (err: unknown) =>
	/UNIQUE constraint failed|SQLITE_CONSTRAINT/i.test(
		String((err as Error)?.message ?? err) + String((err as Error)?.cause ?? ""),
	);

export const ingestEvent = async (
	env: Env,
	input: EventInput,
	{ idempotencyKey, webhookId }: { idempotencyKey?: string; webhookId?: string } = {},
): Promise<Ingested> => {
	const key = idempotencyKey ? `key:${idempotencyKey}` : input.id ? `id:${input.id}` : undefined;
	const earlier = key || input.id ? await findEarlier(env, key, input.id) : undefined;
	if (earlier) return { result: earlier, repeated: true };

	const db = database(env);
	const live = await db
		.select({ id: webhooks.id, eventTypes: webhooks.eventTypes })
		.from(webhooks)
		.where(
			and(isNull(webhooks.deletedAt), eq(webhooks.enabled, true), webhookId ? eq(webhooks.id, webhookId) : undefined),
		);
	const targets = webhookId ? live : live.filter((w) => matchesEventType(w.eventTypes, input.type));

	const now = Date.now();
	const eventId = input.id ?? newId("evt", now);
	const rows: NewNotificationRow[] = targets.map((w) => ({
		id: newId("ntf", now),
		eventId,
		webhookId: w.id,
		eventType: input.type,
		status: "pending",
		attemptCount: 0,
		nextAttemptAt: now,
		createdAt: now,
		updatedAt: now,
	}));
	const result = { id: eventId, type: input.type, notifications: rows.length };

	const notificationInserts = chunk(rows, rowsPerInsert(NOTIFICATION_COLUMNS));
	try {
		await db.batch([
			db.insert(events).values({
				id: eventId,
				type: input.type,
				occurredAt: input.occurredAt ? Date.parse(input.occurredAt) : now,
				data: JSON.stringify(input.data),
				receivedAt: now,
				notificationCount: rows.length,
			}),
			...(key ? [db.insert(ingestKeys).values({ key, eventId, createdAt: now })] : []),
			...notificationInserts.map((part) => db.insert(notifications).values(part)),
		]);
		count("d1Batches");
		count("d1WriteStatements", 1 + (key ? 1 : 0) + notificationInserts.length);
		count("eventsIngested");
	} catch (err) {
		// A concurrent repeat won the race: the batch rolled back whole.
		if (!isUniqueViolation(err)) throw err;
		const winner = await findEarlier(env, key, input.id ?? eventId);
		if (!winner) throw err;
		return { result: winner, repeated: true };
	}

	try {
		await enqueueDeliveries(
			env.DELIVERIES,
			rows.map((r) => r.id as string),
		);
	} catch (err) {
		// Stored but not enqueued: the sweeper re-enqueues overdue pending notifications.
		console.error(JSON.stringify({ msg: "enqueue failed after ingest", eventId, error: String(err) }));
	}
	return { result, repeated: false };
};
