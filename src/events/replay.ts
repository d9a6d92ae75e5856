// Replay to a webhook: notifications for past events of a time window (by when
// they were stored) that match the webhook's filter, and the given types if
// any, and that the webhook never had. They are created and enqueued like
// ingest's fan-out (a notification row, pending, then a queue message naming
// its shard; what is written and never enqueued the sweeper re-enqueues). One
// call creates at most MAX_REPLAY, in rounds of REPLAY_ROUND (one INSERT …
// SELECT and its enqueueing each); the same window replayed again creates
// nothing new, since what the webhook has is left out.
import { encodeTime } from "ulid";
import type { WebhookRow } from "../db/schema";
import type { ShardEnv } from "../db/shards";
import { OPERATIONAL_PREFIX } from "../ops-events/types";
import { enqueueDeliveries } from "../queue/messages";
import { typeMatchesSql } from "../webhooks/filters";

export const MAX_REPLAY = 10_000;
const REPLAY_ROUND = 1_000;

export type ReplayWindow = { since: number; until: number; eventTypes?: string[] };
export type ReplayResult = { count: number; more: boolean };

/**
 * ?1 tenant, ?2 webhook, ?3 since, ?4 until, ?5 the webhook's filter, ?6 the
 * types asked for (null: all). Oldest first; test events (no seq) are no part of the log. An
 * operational event about this webhook is never its own (src/ops-events/: nothing loops).
 */
const LEFT_TO_REPLAY = `FROM events e
WHERE e.tenant_id = ?1 AND e.received_at >= ?3 AND e.received_at < ?4 AND e.seq IS NOT NULL
  AND ${typeMatchesSql("e.type", "?5")}
  AND (?6 IS NULL OR ${typeMatchesSql("e.type", "?6")})
  AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.tenant_id = ?1 AND n.event_id = e.id AND n.webhook_id = ?2)
  AND NOT (substr(e.type, 1, ${OPERATIONAL_PREFIX.length}) = '${OPERATIONAL_PREFIX}' AND json_valid(e.data)
    AND json_extract(e.data, '$.webhook.id') = ?2)`;

/** Ids as ingest makes them: the time, then 16 random hex digits (?7: the time part; ?8 now; ?9 the round's size). */
const REPLAY_ROUND_SQL = `INSERT INTO notifications (id, tenant_id, event_id, webhook_id, event_type, status, attempt_count, series, "trigger", next_attempt_at, created_at, updated_at)
SELECT 'ntf_' || ?7 || hex(randomblob(8)), ?1, e.id, ?2, e.type, 'pending', 0, 0, 'auto', ?8, ?8, ?8
${LEFT_TO_REPLAY}
ORDER BY e.received_at
LIMIT ?9
RETURNING id`;

export const replayToWebhook = async (
	env: ShardEnv,
	webhook: Pick<WebhookRow, "id" | "tenantId" | "eventTypes">,
	window: ReplayWindow,
	{ limit = MAX_REPLAY, round = REPLAY_ROUND, now = Date.now() }: { limit?: number; round?: number; now?: number } = {},
): Promise<ReplayResult> => {
	const binds = [
		webhook.tenantId,
		webhook.id,
		window.since,
		window.until,
		JSON.stringify(webhook.eventTypes),
		window.eventTypes ? JSON.stringify(window.eventTypes) : null,
	];
	let created = 0;
	while (created < limit) {
		const size = Math.min(round, limit - created);
		const { results } = await env.DB.prepare(REPLAY_ROUND_SQL)
			.bind(...binds, encodeTime(now, 10), now, size)
			.all<{ id: string }>();
		created += results.length;
		// Stored is what the answer promises; a failed enqueue is the sweeper's to catch up on.
		await enqueueDeliveries(
			env.DELIVERIES,
			env.SHARD,
			results.map(({ id }) => ({ id, series: 0 })),
		).catch((err) => {
			console.error(JSON.stringify({ msg: "enqueue failed after replay", webhookId: webhook.id, error: String(err) }));
		});
		if (results.length < size) return { count: created, more: false };
	}
	const left = await env.DB.prepare(`SELECT EXISTS (SELECT 1 ${LEFT_TO_REPLAY}) AS more`)
		.bind(...binds)
		.first<{ more: number }>();
	return { count: created, more: left?.more === 1 };
};
