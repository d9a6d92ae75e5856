// Reading the history: a page of a tenant's notifications by filter, newest
// first, and one notification with its attempts and its event, the large texts
// unpacked (src/db/stored-text.ts), so the API shows the stored request byte
// for byte.
import { and, asc, desc, eq, lt } from "drizzle-orm";
import { database } from "../db";
import { attempts, events, notifications } from "../db/schema";
import type { ShardEnv } from "../db/shards";
import { unpackNullable, unpackText } from "../db/stored-text";
import { matching, type NotificationQuery } from "./filter";

/** Up to `limit` + 1 notifications matching `q` older than the cursor's id, newest first (the +1 says whether a page follows). */
export const listNotifications = (
	env: ShardEnv,
	q: NotificationQuery,
	{ after, limit }: { after?: string; limit: number },
) =>
	database(env)
		.select()
		.from(notifications)
		.where(and(matching(q), after ? lt(notifications.id, after) : undefined))
		.orderBy(desc(notifications.id))
		.limit(limit + 1);

/** One of the tenant's notifications with its attempts, oldest first, and its event; undefined when the tenant has none of that id. */
export const readNotification = async (env: ShardEnv, tenantId: string, id: string) => {
	const db = database(env);
	const [[row], tries] = await db.batch([
		db
			.select()
			.from(notifications)
			.where(and(eq(notifications.id, id), eq(notifications.tenantId, tenantId))),
		db.select().from(attempts).where(eq(attempts.notificationId, id)).orderBy(asc(attempts.id)),
	]);
	if (!row) return undefined;
	const event = await db.query.events.findFirst({
		where: and(eq(events.tenantId, tenantId), eq(events.id, row.eventId)),
	});
	return {
		notification: { ...row, requestBody: await unpackNullable(row.requestBody) },
		attempts: tries,
		event: event && { ...event, data: await unpackText(event.data) },
	};
};
