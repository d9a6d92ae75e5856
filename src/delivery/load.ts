// Loading a consumer batch: every notification with its event and webhook, in
// one read per 90 messages.
import { eq, inArray, sql } from "drizzle-orm";
import { chunk } from "../chunk";
import { database } from "../db";
import { type EventRow, events, type NotificationRow, notifications, type WebhookRow, webhooks } from "../db/schema";
import { count } from "../metrics";

/** Ids per `IN (...)` list, under D1's 100 bound parameters. */
const IDS_PER_QUERY = 90;

export type Loaded = { notification: NotificationRow; event: EventRow | null; webhook: WebhookRow | undefined };

const buildLoadQuery = (env: Env, size: number) =>
	database(env)
		.select({ notification: notifications, event: events, webhook: webhooks })
		.from(notifications)
		.leftJoin(events, eq(events.id, notifications.eventId))
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
const loadQuery = (env: Env, size: number) => {
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

/** The notifications of `ids` with their events and webhooks, by notification id. */
export const loadAll = async (env: Env, ids: string[]) => {
	const unique = [...new Set(ids)];
	const rows = (
		await Promise.all(
			chunk(unique, IDS_PER_QUERY).map((part) =>
				loadQuery(env, part.length).all(Object.fromEntries(part.map((id, i) => [`id${i}`, id]))),
			),
		)
	).flat();
	count("d1Reads", Math.ceil(unique.length / IDS_PER_QUERY));
	return new Map<string, Loaded>(
		rows.map((r) => [
			r.notification.id,
			{ notification: r.notification, event: r.event, webhook: r.webhook ?? undefined },
		]),
	);
};
