// Loading a consumer batch: every notification with its event and webhook, in
// one read per 90 messages, bounded by bytes as well as count: an event's data
// or a stored request body over INLINE_BYTES is left out of that read and
// fetched after it, in reads of at most READ_BYTES, so 100 events of 250 KB
// never make one result of 25 MB.

import { and, eq, getTableColumns, inArray, sql } from "drizzle-orm";
import { chunk } from "../chunk";
import { database } from "../db";
import { type EventRow, events, type NotificationRow, notifications, type WebhookRow, webhooks } from "../db/schema";
import type { ShardEnv } from "../db/shards";
import { count } from "../metrics";

/** Ids per `IN (...)` list, under D1's 100 bound parameters. */
const IDS_PER_QUERY = 90;
/** A body or event data up to this size comes with the batch read (90 of them: under 6 MB). */
const INLINE_BYTES = 64 * 1024;
/** The most one read of larger bodies and data returns. */
export const READ_BYTES = 4 * 1024 * 1024;

export type Loaded = { notification: NotificationRow; event: EventRow | null; webhook: WebhookRow | undefined };

const inlined = (column: typeof events.data | typeof notifications.requestBody) =>
	sql<string | null>`CASE WHEN length(${column}) <= ${sql.raw(String(INLINE_BYTES))} THEN ${column} END`;

const buildLoadQuery = (env: ShardEnv, size: number) =>
	database(env)
		.select({
			notification: { ...getTableColumns(notifications), requestBody: inlined(notifications.requestBody) },
			requestBodyBytes: sql<number | null>`length(${notifications.requestBody})`,
			event: { ...getTableColumns(events), data: inlined(events.data) },
			dataBytes: sql<number | null>`length(${events.data})`,
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
	const found = new Map<string, string>();
	for (const run of byBytes(large, (l) => l.bytes)) {
		const { results } = await env.DB.prepare(`${LARGE_TEXT[text]} WHERE n.id IN (${run.map(() => "?").join(", ")})`)
			.bind(...run.map((l) => l.id))
			.all<{ id: string; text: string }>();
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
		largeBodies.length > 0 ? fetchLarge(env, "requestBody", largeBodies) : new Map<string, string>(),
		largeData.length > 0 ? fetchLarge(env, "eventData", largeData) : new Map<string, string>(),
	]);
	return new Map<string, Loaded>(
		rows.map((r) => {
			const notification: NotificationRow = {
				...r.notification,
				requestBody: r.notification.requestBody ?? bodies.get(r.notification.id) ?? null,
			};
			const event: EventRow | null = r.event
				? { ...r.event, data: r.event.data ?? data.get(r.notification.id) ?? "{}" }
				: null;
			return [notification.id, { notification, event, webhook: r.webhook ?? undefined }];
		}),
	);
};
