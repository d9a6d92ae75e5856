// The one live stream of a subscription, across isolates: a lease on the
// subscription's row in D1, taken with a conditional update, renewed while the
// stream runs and released when it ends. A stream whose isolate died leaves a
// lease that simply expires.
import { and, eq, isNull, lte, or } from "drizzle-orm";
import { database } from "../db";
import { type SubscriptionRow, subscriptions } from "../db/schema";
import type { ShardEnv } from "../db/shards";
import { ProblemError } from "../http/problem";
import { findSubscription } from "./subscriptions";

/** How long a lease lasts unless renewed; a stream renews it every LEASE_RENEW_MS. */
export const LEASE_MS = 10_000;
export const LEASE_RENEW_MS = 2_000;

const ofRow = (tenantId: string, id: string) => and(eq(subscriptions.tenantId, tenantId), eq(subscriptions.id, id));

/** Takes the lease, or a 404 (no such subscription) or 409 (a stream is live on it). */
export const takeLease = async (
	env: ShardEnv,
	tenantId: string,
	id: string,
	now = Date.now(),
): Promise<{ row: SubscriptionRow; leaseId: string }> => {
	const leaseId = crypto.randomUUID();
	const [row] = await database(env)
		.update(subscriptions)
		.set({ leaseId, leaseUntil: now + LEASE_MS })
		.where(and(ofRow(tenantId, id), or(isNull(subscriptions.leaseUntil), lte(subscriptions.leaseUntil, now))))
		.returning();
	if (row) return { row, leaseId };
	await findSubscription(env, tenantId, id);
	throw new ProblemError(409, `A stream is already open on subscription ${id}; one at a time.`);
};

/** Extends the lease; false when it is no longer this stream's (expired and taken, or the subscription deleted). */
export const renewLease = async (env: ShardEnv, tenantId: string, id: string, leaseId: string, now = Date.now()) => {
	const renewed = await database(env)
		.update(subscriptions)
		.set({ leaseUntil: now + LEASE_MS })
		.where(and(ofRow(tenantId, id), eq(subscriptions.leaseId, leaseId)))
		.returning({ id: subscriptions.id });
	return renewed.length > 0;
};

export const releaseLease = (env: ShardEnv, tenantId: string, id: string, leaseId: string) =>
	database(env)
		.update(subscriptions)
		.set({ leaseId: null, leaseUntil: null })
		.where(and(ofRow(tenantId, id), eq(subscriptions.leaseId, leaseId)));
