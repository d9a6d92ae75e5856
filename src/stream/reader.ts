// One read of a tenant's event log for a stream: the matching events after a
// position, in log order, and the subscription's row as of the same moment
// (one D1 batch, one transaction, so the head and the events agree). Events
// that do not match are read too (without their data), so the position moves
// past them; a seq missing in between can only be an event retention removed
// (src/events/sequence.ts), which the read counts as purged.
import type { ShardEnv } from "../db/shards";
import { type StoredValue, unpackText } from "../db/stored-text";
import { iso } from "../iso";
import { typeMatchesSql } from "../webhooks/filters";

/** Rows per read: events are at most 256 KiB, so one read holds at most ~12 MB. */
export const READ_ROWS = 50;

export type LogRead = {
	/** The subscription as the read found it; null once it is deleted. */
	subscription: { committedSeq: number | null; leaseId: string | null } | null;
	/** The matching events, each as its JSON line item `{ id, type, occurredAt, data }`. */
	events: string[];
	/** Their JSON's length, to bound a batch by size. */
	bytes: number;
	/** Everything of the log up to here has been read. */
	position: number;
	/** Events between the old position and the new one that retention had removed. */
	purged: number;
	/** The read stopped at its row limit: more is there already. */
	more: boolean;
};

type Row = { seq: number; id: string; type: string; occurred_at: number; data: StoredValue | null };

const eventJson = async (row: Row & { data: StoredValue }) =>
	`{"id":${JSON.stringify(row.id)},"type":${JSON.stringify(row.type)},"occurredAt":"${iso(row.occurred_at)}","data":${await unpackText(row.data)}}`;

export const readLog = async (
	env: ShardEnv,
	q: { tenantId: string; subscriptionId: string; patterns: string[]; after: number; want: number },
): Promise<LogRead> => {
	const limit = Math.max(1, Math.min(READ_ROWS, q.want));
	const [status, found] = await env.DB.batch([
		env.DB.prepare(
			`SELECT committed_seq, lease_id, (SELECT last_seq FROM event_log_heads WHERE tenant_id = ?1) AS head
			 FROM subscriptions WHERE tenant_id = ?1 AND id = ?2`,
		).bind(q.tenantId, q.subscriptionId),
		env.DB.prepare(
			`SELECT seq, id, type, occurred_at, CASE WHEN ${typeMatchesSql("events.type", "?3")} THEN data END AS data
			 FROM events WHERE tenant_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?4`,
		).bind(q.tenantId, q.after, JSON.stringify(q.patterns), limit),
	]);
	const sub = status?.results[0] as { committed_seq: number | null; lease_id: string | null; head: number | null };
	const rows = (found?.results ?? []) as Row[];
	const events: string[] = [];
	let bytes = 0;
	let position = q.after;
	for (const row of rows) {
		position = row.seq;
		if (row.data === null) continue;
		const json = await eventJson(row as Row & { data: StoredValue });
		events.push(json);
		bytes += json.length;
	}
	const more = rows.length === limit;
	// Read to the end: the position is the head, whatever was removed before it.
	if (!more) position = Math.max(position, sub?.head ?? 0);
	return {
		subscription: sub ? { committedSeq: sub.committed_seq, leaseId: sub.lease_id } : null,
		events,
		bytes,
		position,
		purged: position - q.after - rows.length,
		more,
	};
};
