// Loading a consumer batch: every notification with its event and webhook, in
// one read per 90 messages, bounded by bytes as well as count: an event's data
// or a stored request body over INLINE_BYTES is left out of that read and
// fetched after it, in reads of at most READ_BYTES, so 100 events of 250 KB
// never make one result of 25 MB. Both texts come back unpacked
// (src/db/stored-text.ts).

import { and, eq, getTableColumns, inArray, type SQL, sql } from "drizzle-orm";
import { chunk } from "../chunk";
import { database } from "../db";
import { type EventRow, events, type NotificationRow, notifications, type WebhookRow, webhooks } from "../db/schema";
import type { ShardEnv } from "../db/shards";
import { type StoredValue, unpackNullable, unpackText } from "../db/stored-text";
import { count } from "../metrics";

/** Ids per `IN (...)` list, under D1's 100 bound parameters. */
const IDS_PER_QUERY = 90;
/** A body or event data up to this size comes with the batch read (90 of them: under 6 MB). */
const INLINE_BYTES = 64 * 1024;
/** The most one read of larger bodies and data returns. */
export const READ_BYTES = 4 * 1024 * 1024;

/** A notification and an event as the consumer reads them: their large texts unpacked. */
export type LoadedNotification = NotificationRow & { requestBody: string | null };
export type LoadedEvent = EventRow & { data: string };

export type Loaded = { notification: LoadedNotification; event: LoadedEvent | null; webhook: WebhookRow | undefined };

type LargeText = typeof events.data | typeof notifications.requestBody;

/**
 * What a stored text costs in a result: its length, four times over for a packed
 * one, which D1 returns as an array of byte values ("123," for a byte).
 */
const wireBytes = (column: LargeText): SQL<number | null> =>
	sql`length(${column}) * (CASE WHEN typeof(${column}) = 'blob' THEN 4 ELSE 1 END)`;

const inlined = (column: LargeText) =>
	sql<StoredValue | null>`CASE WHEN ${wireBytes(column)} <= ${sql.raw(String(INLINE_BYTES))} THEN ${column} END`;

const buildLoadQuery = (env: ShardEnv, size: number) =>
	database(env)
		.select({
			notification: { ...getTableColumns(notifications), requestBody: inlined(notifications.requestBody) },
			requestBodyBytes: wireBytes(notifications.requestBody),
			event: { ...getTableColumns(events), data: inlined(events.data) },
			dataBytes: wireBytes(events.data),
			webhook: webhooks,
		})
		.from(notifications)
		.leftJoin(events, and(eq(events.tenantId, notifications.tenantId), eq(events.id, notifications.eventId)))
		.leftJoin(webhooks, eq(webhooks.id, notifications.webhookId))
		.where(
			inArray(
				notifications.id,
				Array.from({ length: size }, (_, i) => sql.placeholder(`id${i}`)),
			),
		)
		.prepare();
const loadQueries = new WeakMap<D1Database, Map<number, ReturnType<typeof buildLoadQuery>>>();

/**
 * The batch read for `size` ids, built once per size and binding: building this
 * three-table select costs more main-thread time than running it (about half a
 * millisecond), and every consumer batch needs one.
 */
const loadQuery = (env: ShardEnv, size: number) => {
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

/** Runs of `items` whose sizes add up to at most READ_BYTES (one item alone may be more). */
const byBytes = <T>(items: T[], size: (item: T) => number): T[][] => {
	const runs: T[][] = [];
	let run: T[] = [];
	let bytes = 0;
	for (const item of items) {
		if (run.length > 0 && (bytes + size(item) > READ_BYTES || run.length >= IDS_PER_QUERY)) {
			runs.push(run);
			run = [];
			bytes = 0;
		}
		run.push(item);
		bytes += size(item);
	}
	if (run.length > 0) runs.push(run);
	return runs;
};

/** Each large text, read by its notification's id (an event's through the notification: event ids are per tenant). */
const LARGE_TEXT = {
	requestBody: "SELECT n.id, n.request_body AS text FROM notifications n",
	eventData:
		"SELECT n.id, e.data AS text FROM notifications n JOIN events e ON e.tenant_id = n.tenant_id AND e.id = n.event_id",
};

/** The large texts left out of the batch read, by notification id, in reads of at most READ_BYTES. */
const fetchLarge = async (env: ShardEnv, text: keyof typeof LARGE_TEXT, large: { id: string; bytes: number }[]) => {
	const found = new Map<string, StoredValue>();
	for (const run of byBytes(large, (l) => l.bytes)) {
		const { results } = await env.DB.prepare(`${LARGE_TEXT[text]} WHERE n.id IN (${run.map(() => "?").join(", ")})`)
			.bind(...run.map((l) => l.id))
			.all<{ id: string; text: StoredValue }>();
		count("d1Reads");
		for (const row of results) found.set(row.id, row.text);
	}
	return found;
};

/** The notifications of `ids` with their events and webhooks, by notification id. */
export const loadAll = async (env: ShardEnv, ids: string[]) => {
	const unique = [...new Set(ids)];
	const rows = (
		await Promise.all(
			chunk(unique, IDS_PER_QUERY).map((part) =>
				loadQuery(env, part.length).all(Object.fromEntries(part.map((id, i) => [`id${i}`, id]))),
			),
		)
	).flat();
	count("d1Reads", Math.ceil(unique.length / IDS_PER_QUERY));
	const largeBodies = rows.flatMap((r) =>
		r.notification.requestBody === null && (r.requestBodyBytes ?? 0) > 0
			? [{ id: r.notification.id, bytes: r.requestBodyBytes ?? 0 }]
			: [],
	);
	const largeData = rows.flatMap((r) =>
		r.event && r.event.data === null ? [{ id: r.notification.id, bytes: r.dataBytes ?? 0 }] : [],
	);
	const [bodies, data] = await Promise.all([
		largeBodies.length > 0 ? fetchLarge(env, "requestBody", largeBodies) : new Map<string, StoredValue>(),
		largeData.length > 0 ? fetchLarge(env, "eventData", largeData) : new Map<string, StoredValue>(),
	]);
	const loaded = await Promise.all(
		rows.map(async (r): Promise<[string, Loaded]> => {
			const id = r.notification.id;
			const notification = {
				...r.notification,
				requestBody: await unpackNullable(r.notification.requestBody ?? bodies.get(id) ?? null),
			};
			const event = r.event ? { ...r.event, data: await unpackText(r.event.data ?? data.get(id) ?? "{}") } : null;
			return [id, { notification, event, webhook: r.webhook ?? undefined }];
		}),
	);
	return new Map(loaded);
};
