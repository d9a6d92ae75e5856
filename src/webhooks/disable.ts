// Disabling a webhook when Hookline decides to (a 410 Gone answer, or a circuit
// open for disableAfterHours) or an operator does: the reason and time go on
// the webhook, and what waited for it becomes `skipped`, so nothing is dropped
// unseen and POST /v1/webhooks/:id/enable can re-send it.
import { and, eq, inArray } from "drizzle-orm";
import { database } from "../db";
import { notifications, webhooks } from "../db/schema";

/** The two writes that disable a webhook, for a caller's own D1 batch. */
export const disableStatements = (env: Env, webhookId: string, { reason, at }: { reason: string; at: number }) => {
	const db = database(env);
	return [
		db
			.update(webhooks)
			.set({ enabled: false, disabledReason: reason, disabledAt: at, updatedAt: at })
			.where(eq(webhooks.id, webhookId)),
		db
			.update(notifications)
			.set({ status: "skipped", lastError: `webhook disabled: ${reason}`, nextAttemptAt: null, updatedAt: at })
			.where(and(eq(notifications.webhookId, webhookId), inArray(notifications.status, ["paused"]))),
	] as const;
};

export const disableWebhook = async (
	env: Env,
	webhookId: string,
	{ reason, at = Date.now() }: { reason: string; at?: number },
) => {
	await database(env).batch(disableStatements(env, webhookId, { reason, at }));
};
