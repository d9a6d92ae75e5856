// Subscriptions: named, durable cursors over a tenant's event log. Each lives
// on its tenant's shard; every read and write names the tenant, so another
// tenant's subscription reads as absent (404).
import { and, desc, eq, lt, sql } from "drizzle-orm";
import { database } from "../db";
import { eventLogHeads, type SubscriptionRow, subscriptions } from "../db/schema";
import type { ShardEnv } from "../db/shards";
import { ProblemError, validationProblem } from "../http/problem";
import { newId } from "../ids";
import { typeMatchesSql } from "../webhooks/filters";
import { WAITING_CAP } from "./schema";

/** The log's head: the last seq given out to the tenant's events (0 before the first). */
const headOf = (tenantId: string) =>
	sql<number>`(SELECT coalesce(max(${eventLogHeads.lastSeq}), 0) FROM ${eventLogHeads} WHERE ${eventLogHeads.tenantId} = ${tenantId})`;

/** Where a subscription's next stream starts: after the last commit, or after its start. */
export const positionOf = (row: SubscriptionRow) => row.committedSeq ?? row.startSeq;

export const createSubscription = async (
	env: ShardEnv,
	tenantId: string,
	input: { name: string; eventTypes: string[]; startFrom: "begin" | "end" },
	now = Date.now(),
) => {
	const [row] = await database(env)
		.insert(subscriptions)
		.values({
			id: newId("sub", now),
			tenantId,
			name: input.name,
			eventTypes: [...new Set(input.eventTypes)],
			startFrom: input.startFrom,
			// Read in the insert itself, so no event stored meanwhile falls between "end" and the stream.
			startSeq: input.startFrom === "begin" ? 0 : headOf(tenantId),
			createdAt: now,
			updatedAt: now,
		})
		.returning();
	return row as SubscriptionRow;
};

export const findSubscription = async (env: ShardEnv, tenantId: string, id: string) => {
	const row = await database(env).query.subscriptions.findFirst({
		where: and(eq(subscriptions.tenantId, tenantId), eq(subscriptions.id, id)),
	});
	if (!row) throw new ProblemError(404, `No subscription ${id}.`);
	return row;
};

/** A page of the tenant's subscriptions, newest first (`limit + 1` rows, for page()). */
export const listSubscriptions = (env: ShardEnv, tenantId: string, after: string | undefined, limit: number) =>
	database(env)
		.select()
		.from(subscriptions)
		.where(and(eq(subscriptions.tenantId, tenantId), after ? lt(subscriptions.id, after) : undefined))
		.orderBy(desc(subscriptions.id))
		.limit(limit + 1);

/** Deletes it; a live stream on it ends at its next read. */
export const deleteSubscription = async (env: ShardEnv, tenantId: string, id: string) => {
	const gone = await database(env)
		.delete(subscriptions)
		.where(and(eq(subscriptions.tenantId, tenantId), eq(subscriptions.id, id)))
		.returning({ id: subscriptions.id });
	if (gone.length === 0) throw new ProblemError(404, `No subscription ${id}.`);
};

/**
 * Commits everything up to `seq`. Commits only move forward: an older cursor
 * (a batch already covered by a later commit) changes nothing. A seq past the
 * log's head was never streamed: 400.
 */
export const commitSubscription = async (env: ShardEnv, row: SubscriptionRow, seq: number, now = Date.now()) => {
	const db = database(env);
	const head = await db.query.eventLogHeads.findFirst({ where: eq(eventLogHeads.tenantId, row.tenantId) });
	if (seq > (head?.lastSeq ?? 0))
		throw validationProblem([{ path: "cursor", message: "is past the end of the log: it was never streamed" }]);
	await db
		.update(subscriptions)
		.set({ committedSeq: seq, committedAt: now, updatedAt: now })
		.where(
			and(
				eq(subscriptions.tenantId, row.tenantId),
				eq(subscriptions.id, row.id),
				sql`coalesce(${subscriptions.committedSeq}, ${subscriptions.startSeq}) < ${seq}`,
			),
		);
};

/** Matching events after the subscription's position, counted up to WAITING_CAP. */
export const waitingOf = async (env: ShardEnv, row: SubscriptionRow) => {
	const found = await env.DB.prepare(
		`SELECT count(*) AS n FROM (SELECT 1 FROM events WHERE tenant_id = ?1 AND seq > ?2 AND ${typeMatchesSql("events.type", "?3")} LIMIT ?4)`,
	)
		.bind(row.tenantId, positionOf(row), JSON.stringify(row.eventTypes), WAITING_CAP)
		.first<{ n: number }>();
	return found?.n ?? 0;
};
