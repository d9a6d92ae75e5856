// The D1 side of disabling a webhook, with no gate in it: the webhook service
// adds the gate, and the gate's own alarm (a circuit open too long) calls this
// when it has already stopped itself.

import { eq } from "drizzle-orm";
import { database } from "../db";
import { webhooks } from "../db/schema";
import type { ShardEnv } from "../db/shards";
import { skipPausedOf } from "../history/transitions";

export type Disabling = { reason: string; at: number };

/** The webhook's side of a disable: its reason and time on record. */
const markDisabled = (env: ShardEnv, webhookId: string, { reason, at }: Disabling) =>
	database(env)
		.update(webhooks)
		.set({ enabled: false, disabledReason: reason, disabledAt: at, updatedAt: at })
		.where(eq(webhooks.id, webhookId));

/**
 * The D1 writes of a disable, for a caller's own batch: the reason and time go
 * on the webhook, and what its gate held paused becomes `skipped`, so nothing is
 * dropped unseen and enabling it again can re-send it. The caller tells the gate.
 */
export const disableStatements = (env: ShardEnv, webhookId: string, disabling: Disabling) =>
	[markDisabled(env, webhookId, disabling), skipPausedOf(env, webhookId, disabling)] as const;

/** Disables a webhook in D1 (the gate that decided it stops itself). */
export const disableWebhook = async (env: ShardEnv, webhookId: string, disabling: Disabling) => {
	await database(env).batch(disableStatements(env, webhookId, disabling));
};
