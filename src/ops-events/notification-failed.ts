// hookline.notification.failed: a notification's series ended `failed`, after
// its last attempt (attempts exhausted, or a failure not worth another) or
// because its message was dead-lettered. Emitted in the batch that writes the
// ending, only if that write changes the notification. Not for a notification
// of an operational event (so nothing loops), nor for the endings its tenant
// chose (a webhook or the tenant deleted).

import type { NotificationRow, WebhookRow } from "../db/schema";
import type { ShardEnv } from "../db/shards";
import { type Condition, type Emission, emission } from "./emit";
import { type FailedReason, isOperational } from "./types";

export type Ending = {
	reason: FailedReason;
	attempts: number;
	lastError: string | null;
	lastErrorKind: string | null;
	lastStatusCode: number | null;
};

/** The emission for `n` ending failed, for the batch that writes it (put before it), or none. */
export const notificationFailed = async (
	env: ShardEnv,
	n: Pick<NotificationRow, "id" | "tenantId" | "eventId" | "eventType" | "series" | "trigger">,
	webhook: Pick<WebhookRow, "id" | "name">,
	ending: Ending,
	when: Condition,
): Promise<Emission | undefined> => {
	if (isOperational(n.eventType)) return undefined;
	const { reason, attempts, lastError, lastErrorKind, lastStatusCode } = ending;
	return emission(env, {
		tenantId: n.tenantId,
		type: "hookline.notification.failed",
		about: webhook.id,
		when,
		data: {
			webhook: { id: webhook.id, name: webhook.name },
			notification: { id: n.id, series: n.series, trigger: n.trigger, attempts },
			event: { id: n.eventId, type: n.eventType },
			reason,
			lastError,
			lastErrorKind,
			lastStatusCode,
		},
	});
};
