// The one filter builder for notifications: the history list, the bulk re-send
// and the count a console shows before a bulk re-send all build their WHERE
// clause here, so the count shown is the count moved. Every query names its
// tenant, and the webhook, event, type and status filters each have a
// tenant-first index ending in the id (src/db/schema.ts).
import { and, eq, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import type { NotificationStatus } from "../db/schema";
import { notifications, webhooks } from "../db/schema";

export type NotificationQuery = {
	/** Whose notifications: every query names its tenant. */
	tenantId: string;
	webhookId?: string;
	eventId?: string;
	eventType?: string;
	status?: NotificationStatus;
	since?: string;
	until?: string;
	/** Only these notifications (bulk re-send). */
	ids?: string[];
};

/** The conditions of a query: its tenant's notifications; an absent field matches everything. */
export const matching = (q: NotificationQuery): SQL | undefined =>
	and(
		eq(notifications.tenantId, q.tenantId),
		q.webhookId ? eq(notifications.webhookId, q.webhookId) : undefined,
		q.eventId ? eq(notifications.eventId, q.eventId) : undefined,
		q.eventType ? eq(notifications.eventType, q.eventType) : undefined,
		q.status ? eq(notifications.status, q.status) : undefined,
		q.since ? gte(notifications.createdAt, Date.parse(q.since)) : undefined,
		q.until ? lt(notifications.createdAt, Date.parse(q.until)) : undefined,
		// One bound parameter for up to 1,000 ids (D1 allows 100 per statement).
		q.ids ? sql`${notifications.id} IN (SELECT value FROM json_each(${JSON.stringify(q.ids)}))` : undefined,
	);

/** Notifications whose webhook can take deliveries now (exists and is enabled): the tenant's webhooks only, by their index. */
export const ofLiveWebhook = (tenantId: string) =>
	inArray(
		notifications.webhookId,
		sql`(SELECT ${webhooks.id} FROM ${webhooks} WHERE ${webhooks.tenantId} = ${tenantId} AND ${webhooks.deletedAt} IS NULL AND ${webhooks.enabled} = 1)`,
	);
