// The concurrency bound in the endpoint gate: a send at maxConcurrency waits a
// moment in the gate for a slot, and otherwise parks there; the consumer acks a
// parked notification with at most one write (its due time moves to the
// sweeper's safety net), and the gate enqueues the oldest parked notification
// when a slot frees, holding the slot for it; the alarm is the safety net for
// a release that is lost.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { deliver } from "../../src/delivery/consumer";
import { PARKED_SAFETY_NET_MS } from "../../src/delivery/gate-calls";
import type { EndpointGate } from "../../src/gate";
import { PARKED_LOOK_MS } from "../../src/gate/parked";
import { RELEASE_PER_SECOND } from "../../src/gate/paused";
import { metrics } from "../../src/metrics";
import {
	api,
	createWebhook,
	defaultShard as env,
	eventually,
	gateInput,
	gateOf,
	gateSend,
	received,
	seedNotification,
	uniqueTag,
} from "./helpers";

type Gate = DurableObjectStub<EndpointGate>;

type ParkedRow = { notification_id: string; series: number; number: number; released_at: number | null };

const parkedOf = (gate: Gate) =>
	runInDurableObject(gate, (_i: EndpointGate, state) =>
		state.storage.sql
			.exec<ParkedRow>("SELECT notification_id, series, number, released_at FROM parked ORDER BY notification_id")
			.toArray(),
	);

/** Resolves once the gate's ledger holds the notification in flight. */
const inFlight = (gate: Gate, notificationId: string) =>
	eventually(async () =>
		(await runInDurableObject(
			gate,
			(_i: EndpointGate, state) =>
				state.storage.sql
					.exec<{ state: string }>("SELECT state FROM ledger WHERE notification_id = ?", notificationId)
					.toArray()[0]?.state,
		)) === "inflight"
			? true
			: undefined,
	);

describe("concurrency bound", () => {
	it("parks a notification that gets no slot within a moment: one write, no attempt, sent from its release when the slot frees", async () => {
		const tag = uniqueTag("park");
		const webhook = await createWebhook({ url: `${env.RECEIVER_URL}/slow/2500/${tag}`, maxConcurrency: 1 });
		const gate = gateOf(webhook.id);
		const first = await seedNotification(webhook.id);
		const second = await seedNotification(webhook.id);
		const sending = deliver(env, first.id);
		await inFlight(gate, first.id);
		const before = Date.now();
		// The one slot stays taken for 2.5 s: the second waits a moment, then parks, and its message is acked.
		expect(await deliver(env, second.id)).toEqual({ ack: true });
		const parked = (await (await api(`/v1/notifications/${second.id}`)).json()) as {
			status: string;
			attemptCount: number;
			nextAttemptAt: string;
			attempts: unknown[];
		};
		expect(parked).toMatchObject({ status: "pending", attemptCount: 0, attempts: [] });
		expect(Date.parse(parked.nextAttemptAt)).toBeGreaterThanOrEqual(before + PARKED_SAFETY_NET_MS);
		expect(await parkedOf(gate)).toEqual([{ notification_id: second.id, series: 0, number: 1, released_at: null }]);
		// The first send ends: the gate releases the second through the queue, and the consumer sends it
		// although its due time is the safety net an hour away.
		expect(await sending).toEqual({ ack: true });
		await eventually(
			async () => {
				const n = (await (await api(`/v1/notifications/${second.id}`)).json()) as { status: string };
				return n.status === "delivered" ? true : undefined;
			},
			{ timeoutMs: 15_000 },
		);
		expect((await received(tag)).map((r) => r.headers["x-notifications-idempotency-key"])).toEqual([
			first.id,
			second.id,
		]);
		expect(await parkedOf(gate)).toEqual([]);
	}, 30_000);

	it("once something is parked, later sends at the bound park behind it; the oldest is released first, its slot held for it", async () => {
		const tag = uniqueTag("fifo");
		const webhookId = `wh_${tag}`;
		const gate = gateOf(webhookId);
		const ok = `${env.RECEIVER_URL}/ok/${tag}`;
		const send = (id: string, url = ok) => gateSend(gate, gateInput(id, url, { webhookId, maxConcurrency: 1 }));
		const a = send(`ntf_${tag}_a`, `${env.RECEIVER_URL}/slow/2000/${tag}`);
		await inFlight(gate, `ntf_${tag}_a`);
		expect((await send(`ntf_${tag}_b`)).kind).toBe("parked");
		// A park sets the alarm that looks again, should the release be lost.
		const alarm = await runInDurableObject(gate, (_i: EndpointGate, state) => state.storage.getAlarm());
		expect(alarm).toBeLessThanOrEqual(Date.now() + PARKED_LOOK_MS);
		expect((await send(`ntf_${tag}_c`)).kind).toBe("parked");
		const sentBefore = metrics().queueMessagesSent;
		expect((await a).kind).toBe("sent");
		// a's slot is held for b, the oldest; the release goes through the counted sender.
		expect(metrics().queueMessagesSent - sentBefore).toBe(1);
		expect((await parkedOf(gate)).map((r) => [r.notification_id, r.released_at !== null])).toEqual([
			[`ntf_${tag}_b`, true],
			[`ntf_${tag}_c`, false],
		]);
		// A newcomer cannot take the slot held for b: it parks behind c.
		expect((await send(`ntf_${tag}_d`)).kind).toBe("parked");
		// b comes back (as its release message would bring it) and takes its slot.
		expect((await send(`ntf_${tag}_b`)).kind).toBe("sent");
		expect((await parkedOf(gate)).map((r) => [r.notification_id, r.released_at !== null])).toEqual([
			[`ntf_${tag}_c`, true],
			[`ntf_${tag}_d`, false],
		]);
	}, 30_000);

	it("the alarm releases parked notifications into free slots when nothing in flight would (a restart, a lost release)", async () => {
		const tag = uniqueTag("park-alarm");
		const gate = gateOf(`wh_${tag}`);
		const ids = Array.from({ length: RELEASE_PER_SECOND + 5 }, (_, i) => `ntf_${tag}_${String(i).padStart(3, "0")}`);
		await runInDurableObject(gate, async (_i: EndpointGate, state) => {
			for (const id of ids)
				state.storage.sql.exec(
					"INSERT INTO parked (notification_id, series, number, parked_at) VALUES (?, 0, 1, ?)",
					id,
					Date.now(),
				);
			await state.storage.setAlarm(Date.now());
		});
		const sentBefore = metrics().queueMessagesSent;
		expect(await runDurableObjectAlarm(gate)).toBe(true);
		// A fresh instance does not know the bound yet: one round's worth, oldest first.
		expect(metrics().queueMessagesSent - sentBefore).toBe(RELEASE_PER_SECOND);
		const rows = await parkedOf(gate);
		expect(rows.filter((r) => r.released_at !== null).map((r) => r.notification_id)).toEqual(
			ids.slice(0, RELEASE_PER_SECOND),
		);
		const next = await runInDurableObject(gate, (_i: EndpointGate, state) => state.storage.getAlarm());
		expect(next).toBeLessThanOrEqual(Date.now() + PARKED_LOOK_MS);
		// Released without knowing the bound, they hold no slot: coming back, they keep to it like any send.
		const slow = `${env.RECEIVER_URL}/slow/1500/${tag}`;
		const answers = await gate.sendMany(
			ids.slice(0, 3).map((id) => gateInput(id, slow, { webhookId: `wh_${tag}`, maxConcurrency: 1 })),
		);
		expect(answers.map((a) => a.kind)).toEqual(["sent", "parked", "parked"]);
	}, 30_000);
});
