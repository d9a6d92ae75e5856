// Writing an operational event: ingest's own statements (src/events/ingest.ts),
// the event of the tenant and one notification per webhook that names its type
// (never the webhook it is about), put in the batch that records the occurrence
// itself, so both land or neither does. Each is guarded by a condition that
// holds only when the occurrence's own write will change a row, and by the
// event's id, so a write that comes again (a redelivered message, a retried
// alarm) emits nothing twice. Its notifications are enqueued once the batch has
// committed; what is lost there the sweeper re-enqueues, as after ingest.

import type { ShardEnv } from "../db/shards";
import { guardedEventParams, guardedEventSql } from "../events/ingest";
import { newId } from "../ids";
import { count } from "../metrics";
import { enqueueDeliveries } from "../queue/messages";
import { patternsMatching } from "../webhooks/filters";
import type { OperationalData, OperationalType } from "./types";

/** An SQL condition with `?` placeholders and their values, true when the occurrence happens. */
export type Condition = { sql: string; params: unknown[] };

/** No condition but the event's id: for an occurrence already recorded elsewhere (the gate's outbox). */
export const ALWAYS: Condition = { sql: "1", params: [] };

/** The condition's placeholders numbered after ingest's seven (?8, ?9, …). */
const numbered = (condition: Condition) => {
	let next = 8;
	return condition.sql.replace(/\?(?!\d)/g, () => `?${next++}`);
};

export type Emission = { tenantId: string; eventId: string; statements: D1PreparedStatement[] };

/**
 * The statements that write operational event `type` for `tenantId`, for the
 * caller's batch: put them BEFORE the occurrence's own write, so `when` sees
 * the state it changes. `about` is the webhook the event is about, which never
 * gets it.
 */
export const emission = async <T extends OperationalType>(
	env: ShardEnv,
	{
		tenantId,
		type,
		data,
		about,
		when,
		at = Date.now(),
		eventId = newId("evt", at),
	}: {
		tenantId: string;
		type: T;
		data: OperationalData[T];
		about: string | null;
		when: Condition;
		at?: number;
		eventId?: string;
	},
): Promise<Emission> => {
	const sql = guardedEventSql(numbered(when));
	const base = guardedEventParams({ tenantId, eventId, type, at, excludeWebhookId: about });
	return {
		tenantId,
		eventId,
		statements: [
			env.DB.prepare(sql.fanOut).bind(...base, JSON.stringify(patternsMatching(type)), ...when.params),
			// ?7 is not in the head's statement; it counts (as unbound) only when the condition's ?8… follow.
			env.DB.prepare(sql.head).bind(...base, ...(when.params.length > 0 ? [null, ...when.params] : [])),
			// Never packed: replay reads the webhook an event is about from its data in SQL (src/events/replay.ts).
			env.DB.prepare(sql.event).bind(...base, JSON.stringify(data), ...when.params),
		],
	};
};

/**
 * Enqueues the notifications of emitted events once their batch committed (an
 * event whose condition did not hold has none). A failure is logged: the
 * sweeper re-enqueues what is overdue.
 */
export const enqueueEmitted = async (env: ShardEnv, emitted: Pick<Emission, "tenantId" | "eventId">[]) => {
	try {
		for (const { tenantId, eventId } of emitted) {
			const { results } = await env.DB.prepare(
				"SELECT id FROM notifications WHERE tenant_id = ? AND event_id = ? AND status = 'pending'",
			)
				.bind(tenantId, eventId)
				.all<{ id: string }>();
			count("d1Reads");
			await enqueueDeliveries(
				env.DELIVERIES,
				env.SHARD,
				results.map(({ id }) => ({ id, series: 0 })),
			);
		}
	} catch (err) {
		console.error(JSON.stringify({ msg: "enqueue failed after an operational event", emitted, error: String(err) }));
	}
};

/** Writes an emission on its own (one D1 batch) and enqueues its notifications. */
export const emitNow = async (env: ShardEnv, emitted: Emission) => {
	await env.DB.batch(emitted.statements);
	count("d1Batches");
	await enqueueEmitted(env, [emitted]);
};
