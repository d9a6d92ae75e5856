// hookline.webhook.disabled and hookline.webhook.enabled: a webhook changed
// between enabled and disabled, whoever did it (its circuit open for
// disableAfterHours, a 410 Gone answer, or a call to the API: PATCH
// `enabled`, POST …/enable). Emitted in the batch that changes the webhook,
// only if the webhook was in the other state when it ran.

import type { WebhookRow } from "../db/schema";
import type { ShardEnv } from "../db/shards";
import { iso, isoOrNull } from "../iso";
import { type Condition, emission } from "./emit";
import type { DisabledReason } from "./types";

type Subject = Pick<WebhookRow, "id" | "tenantId" | "name">;

/** The webhook exists and is (still) enabled, or disabled: the state the change leaves. */
const whileEnabledIs = (webhookId: string, enabled: boolean): Condition => ({
	sql: "EXISTS (SELECT 1 FROM webhooks WHERE id = ? AND enabled = ? AND deleted_at IS NULL)",
	params: [webhookId, enabled ? 1 : 0],
});

/** The emission for disabling `webhook`, for the batch that disables it (put before the change). */
export const webhookDisabled = (
	env: ShardEnv,
	webhook: Subject,
	{ reason, detail, at }: { reason: DisabledReason; detail: string; at: number },
) =>
	emission(env, {
		tenantId: webhook.tenantId,
		type: "hookline.webhook.disabled",
		about: webhook.id,
		when: whileEnabledIs(webhook.id, true),
		at,
		data: { webhook: { id: webhook.id, name: webhook.name }, reason, detail, disabledAt: iso(at) },
	});

/** The emission for enabling `webhook` (as it was read, disabled), for the batch that enables it. */
export const webhookEnabled = (
	env: ShardEnv,
	webhook: Subject & Pick<WebhookRow, "disabledReason" | "disabledAt">,
	at: number,
) =>
	emission(env, {
		tenantId: webhook.tenantId,
		type: "hookline.webhook.enabled",
		about: webhook.id,
		when: whileEnabledIs(webhook.id, false),
		at,
		data: {
			webhook: { id: webhook.id, name: webhook.name },
			enabledAt: iso(at),
			disabledReason: webhook.disabledReason,
			disabledAt: isoOrNull(webhook.disabledAt),
		},
	});
