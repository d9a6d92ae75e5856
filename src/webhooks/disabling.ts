// The D1 side of disabling a webhook, with no gate in it: the webhook service
// adds the gate, and the gate's own alarm (a circuit open too long) calls this
// when it has already stopped itself. A disable that changes an enabled
// webhook emits hookline.webhook.disabled in the same batch (src/ops-events).

import { eq } from "drizzle-orm";
import { asStatement, database } from "../db";
import { type WebhookRow, webhooks } from "../db/schema";
import type { ShardEnv } from "../db/shards";
import { skipPausedOf } from "../history/transitions";
import { enqueueEmitted } from "../ops-events/emit";
import type { DisabledReason } from "../ops-events/types";
import { webhookDisabled } from "../ops-events/webhook-state";

/** Why (`cause` for the operational event, `reason` as the webhook shows it) and when. */
export type Disabling = { cause: DisabledReason; reason: string; at: number };

/** The webhook's side of a disable: its reason and time on record. */
const markDisabled = (env: ShardEnv, webhookId: string, { reason, at }: Disabling) =>
	database(env)
		.update(webhooks)
		.set({ enabled: false, disabledReason: reason, disabledAt: at, updatedAt: at })
		.where(eq(webhooks.id, webhookId));

/**
 * The D1 writes of a disable, for a caller's own batch: the operational event
 * (when the webhook is still enabled as the batch runs), the reason and time on
 * the webhook, and what its gate held paused becomes `skipped`, so nothing is
 * dropped unseen and enabling it again can re-send it. The caller tells the
 * gate, and enqueues the event's notifications (`emitted`) once it committed.
 */
export const disableStatements = async (
	env: ShardEnv,
	webhook: Pick<WebhookRow, "id" | "tenantId" | "name">,
	disabling: Disabling,
) => {
	const event = await webhookDisabled(env, webhook, {
		reason: disabling.cause,
		detail: disabling.reason,
		at: disabling.at,
	});
	return {
		statements: [
			...event.statements,
			asStatement(env, markDisabled(env, webhook.id, disabling)),
			asStatement(env, skipPausedOf(env, webhook.id, disabling)),
		],
		emitted: event,
	};
};

/** Disables a webhook in D1 (the gate that decided it stops itself). */
export const disableWebhook = async (env: ShardEnv, webhookId: string, disabling: Disabling) => {
	const webhook = await database(env).query.webhooks.findFirst({ where: eq(webhooks.id, webhookId) });
	if (!webhook) return;
	const { statements, emitted } = await disableStatements(env, webhook, disabling);
	await env.DB.batch(statements);
	await enqueueEmitted(env, [emitted]);
};
