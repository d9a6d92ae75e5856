// hookline.webhook.circuit_opened and hookline.webhook.circuit_closed: the
// endpoint gate's circuit opened (an outage began: failureThreshold failures
// in a row) or closed (a probe succeeded: the receiver recovered). A failed
// probe that reopens it, or the fresh circuit of a webhook enabled again, is
// no turn. The gate decides them; its outbox (src/gate/tables/outbox.ts)
// keeps each until `emitForWebhook` has written it, under the id the gate gave
// it, so a write that comes again writes nothing.

import { eq } from "drizzle-orm";
import { database } from "../db";
import { webhooks } from "../db/schema";
import type { ShardEnv } from "../db/shards";
import type { Circuit } from "../gate/circuit";
import { newId } from "../ids";
import { iso, isoOrNull } from "../iso";
import { ALWAYS, emission, emitNow } from "./emit";
import type { CircuitClosedData, CircuitOpenedData, OperationalData, OperationalType } from "./types";

/** An event as the gate keeps it: its data without the webhook, which D1 names. */
export type Pending<T extends OperationalType = OperationalType> = {
	eventId: string;
	type: T;
	data: Omit<OperationalData[T], "webhook">;
	at: number;
};

const opened = (after: Circuit, lastStatusCode: number | null, now: number): Omit<CircuitOpenedData, "webhook"> => ({
	openedAt: iso(after.opened_at ?? now),
	consecutiveFailures: after.consecutive_failures,
	lastError: after.last_error,
	lastStatusCode,
	nextProbeAt: iso(after.next_probe_at ?? now),
});

const closed = (before: Circuit, paused: number, now: number): Omit<CircuitClosedData, "webhook"> => ({
	openedAt: isoOrNull(before.opened_at),
	closedAt: iso(now),
	released: paused,
});

/**
 * The event of a turn of the circuit, from the circuit before and after the
 * attempt that turned it, that attempt's status code and what waits paused.
 */
export const circuitTurn = (
	turn: "opened" | "closed",
	{
		before,
		after,
		lastStatusCode,
		paused,
	}: { before: Circuit; after: Circuit; lastStatusCode: number | null; paused: number },
	now: number,
): Pending =>
	turn === "opened"
		? {
				eventId: newId("evt", now),
				type: "hookline.webhook.circuit_opened",
				data: opened(after, lastStatusCode, now),
				at: now,
			}
		: {
				eventId: newId("evt", now),
				type: "hookline.webhook.circuit_closed",
				data: closed(before, paused, now),
				at: now,
			};

/**
 * Writes an event about webhook `webhookId` to its tenant's history, with the
 * webhook's name. Answers false, writing nothing, when the webhook is not
 * there (deleted, or never known to D1): no tenant hears of it.
 */
export const emitForWebhook = async (env: ShardEnv, webhookId: string, pending: Pending) => {
	const webhook = await database(env).query.webhooks.findFirst({
		columns: { id: true, tenantId: true, name: true, deletedAt: true },
		where: eq(webhooks.id, webhookId),
	});
	if (!webhook || webhook.deletedAt !== null) return false;
	const data = { webhook: { id: webhook.id, name: webhook.name }, ...pending.data } as OperationalData[OperationalType];
	await emitNow(
		env,
		await emission(env, {
			tenantId: webhook.tenantId,
			type: pending.type,
			data,
			about: webhook.id,
			when: ALWAYS,
			at: pending.at,
			eventId: pending.eventId,
		}),
	);
	return true;
};
