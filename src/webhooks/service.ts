// A webhook's life beyond its fields: finding it, and enabling, disabling and
// deleting it, which change D1 (the webhook and what waits for it) and its
// endpoint gate together. The routes and the consumer (a 410 answer) come
// through here; the gate's alarm uses the D1 side alone (./disabling.ts).

import { and, count, eq, inArray, isNull } from "drizzle-orm";
import { asStatement, database } from "../db";
import { notifications, type WebhookRow, webhooks } from "../db/schema";
import type { ShardEnv } from "../db/shards";
import { gateOf } from "../gate";
import { resendMatching } from "../history/resend";
import { BACKLOG } from "../history/status";
import { failOpenOf, skipPausedOf } from "../history/transitions";
import { ProblemError } from "../http/problem";
import { enqueueEmitted } from "../ops-events/emit";
import { webhookDisabled, webhookEnabled } from "../ops-events/webhook-state";
import { disableStatements } from "./disabling";
import { dropFilters, filterStatements } from "./filters";

/** A webhook of the tenant that exists (not deleted), or a 404: another tenant's reads as absent. */
export const findWebhook = async (env: ShardEnv, tenantId: string, id: string) => {
	const row = await database(env).query.webhooks.findFirst({
		where: and(eq(webhooks.id, id), eq(webhooks.tenantId, tenantId), isNull(webhooks.deletedAt)),
	});
	if (!row) throw new ProblemError(404, `No webhook ${id}.`);
	return row;
};

/** How many of a webhook's notifications wait, by status (the health route's backlog). */
export const backlogOf = async (env: ShardEnv, webhookId: string) => {
	const counts = await database(env)
		.select({ status: notifications.status, n: count() })
		.from(notifications)
		.where(and(eq(notifications.webhookId, webhookId), inArray(notifications.status, [...BACKLOG])))
		.groupBy(notifications.status);
	const backlog = { pending: 0, retrying: 0, paused: 0, skipped: 0 };
	for (const r of counts) backlog[r.status as keyof typeof backlog] = r.n;
	return backlog;
};

/**
 * The receiver answered 410 Gone: the endpoint is no more. The D1 writes are
 * for the consumer's batch with the attempt; its gate is told once they have
 * committed.
 */
export const disableForGone = async (
	env: ShardEnv,
	webhook: Pick<WebhookRow, "id" | "tenantId" | "name">,
	answeredAt: number,
	at = Date.now(),
) => {
	const { statements, emitted } = await disableStatements(env, webhook, {
		cause: "gone",
		reason: `the receiver answered 410 Gone at ${new Date(answeredAt).toISOString()}`,
		at,
	});
	return {
		writes: statements,
		afterCommit: async () => {
			await enqueueEmitted(env, [emitted]);
			await gateOf(env, webhook.id).disabled(at);
		},
	};
};

const OPERATOR_DISABLED = "disabled through the API";

/**
 * Writes a webhook's changed columns. Setting `enabled` (only when the change
 * names it, so a change of other fields never undoes a disable that happened
 * since the webhook was read) disables or enables it as above, in the same batch.
 */
export const changeWebhook = async (
	env: ShardEnv,
	current: WebhookRow,
	columns: Partial<WebhookRow>,
	{ enabled, at = Date.now() }: { enabled?: boolean; at?: number },
) => {
	const enabling = enabled === true && !current.enabled;
	const disabling = enabled === false && current.enabled;
	const db = database(env);
	// The operational event, when the change turns the webhook over (as the batch finds it).
	const event =
		enabled === undefined
			? undefined
			: enabled
				? await webhookEnabled(env, current, at)
				: await webhookDisabled(env, current, { reason: "api", detail: OPERATOR_DISABLED, at });
	await env.DB.batch([
		...(event?.statements ?? []),
		asStatement(
			env,
			db
				.update(webhooks)
				.set({
					...columns,
					...(enabled === undefined ? {} : { enabled }),
					...(enabling ? { disabledReason: null, disabledAt: null } : {}),
					...(disabling ? { disabledReason: OPERATOR_DISABLED, disabledAt: at } : {}),
					updatedAt: at,
				})
				.where(eq(webhooks.id, current.id)),
		),
		...(columns.eventTypes ? filterStatements(env, { ...current, eventTypes: columns.eventTypes }) : []).map((q) =>
			asStatement(env, q),
		),
		...(disabling ? [asStatement(env, skipPausedOf(env, current.id, { reason: OPERATOR_DISABLED, at }))] : []),
	]);
	if (event) await enqueueEmitted(env, [event]);
	if (enabling) await gateOf(env, current.id).reset();
	if (disabling) await gateOf(env, current.id).disabled(at);
	return findWebhook(env, current.tenantId, current.id);
};

/**
 * Enables a webhook again: clears why it was disabled, closes its circuit, and
 * re-sends what was skipped meanwhile when asked. Answers the webhook, how many
 * were re-sent, and how many stay skipped.
 */
export const enableWebhook = async (
	env: ShardEnv,
	webhookId: string,
	{ resendSkipped = false, at = Date.now() }: { resendSkipped?: boolean; at?: number } = {},
) => {
	const db = database(env);
	const current = await db.query.webhooks.findFirst({ where: eq(webhooks.id, webhookId) });
	if (!current) throw new ProblemError(404, `No webhook ${webhookId}.`);
	const event = await webhookEnabled(env, current, at);
	await env.DB.batch([
		...event.statements,
		asStatement(
			env,
			db
				.update(webhooks)
				.set({ enabled: true, disabledReason: null, disabledAt: null, updatedAt: at })
				.where(eq(webhooks.id, webhookId)),
		),
	]);
	const row = { ...current, enabled: true, disabledReason: null, disabledAt: null, updatedAt: at };
	await enqueueEmitted(env, [event]);
	await gateOf(env, webhookId).reset();
	const resent = resendSkipped
		? await resendMatching(env, { tenantId: row.tenantId, webhookId, status: "skipped" }, at)
		: 0;
	const [skipped] = await db
		.select({ n: count() })
		.from(notifications)
		.where(and(eq(notifications.webhookId, webhookId), eq(notifications.status, "skipped")));
	return { webhook: row, resent, skipped: skipped?.n ?? 0 };
};

/** Deletes a webhook: what is still open for it ends `failed`, its history stays readable, its gate stops. */
export const deleteWebhook = async (env: ShardEnv, webhookId: string, at = Date.now()) => {
	const db = database(env);
	await db.batch([
		db.update(webhooks).set({ deletedAt: at, updatedAt: at }).where(eq(webhooks.id, webhookId)),
		dropFilters(env, webhookId),
		failOpenOf(env, webhookId, at),
	]);
	await gateOf(env, webhookId).disabled(at);
};
