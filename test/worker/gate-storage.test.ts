// The gate's storage is bounded by the work in flight, not by history: how many
// bytes a notification costs while its ledger row lives (the request kept once),
// that settled rows go an hour after their last attempt, swept by the alarm
// even when no send comes, that the space is used again, and that a gate near
// its storage bound sends nothing new while the consumer waits.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { deliver } from "../../src/delivery/consumer";
import type { EndpointGate, GateSend } from "../../src/gate";
import { LEDGER_KEEP_MS } from "../../src/gate/ledger";
import { FULL_RETRY_SECONDS } from "../../src/gate/storage";
import {
	api,
	createWebhook,
	defaultShard as env,
	gateInput,
	gateOf,
	received,
	seedNotification,
	uniqueTag,
} from "./helpers";

type Gate = DurableObjectStub<EndpointGate>;

/** A request as the consumer stores it at the first send-out: a JSON body of about 1 KB and the usual headers. */
const realistic = (notificationId: string, url: string): GateSend => {
	const body = JSON.stringify({
		id: `evt_${notificationId}`,
		type: "loan.disbursed",
		occurredAt: "2026-11-30T12:00:00.000Z",
		data: {
			loanId: "LN-2026-000123456",
			customer: { id: "CU-88123", name: "Ada Lovelace", segment: "retail" },
			amount: { value: "12500.00", currency: "EUR" },
			schedule: Array.from({ length: 8 }, (_, i) => ({ due: `2027-0${i + 1}-01`, principal: "1562.50" })),
			note: "x".repeat(403),
		},
	});
	const input = gateInput(notificationId, url);
	return {
		...input,
		request: {
			...input.request,
			headers: {
				"content-type": "application/json",
				"user-agent": "Hookline/0.1.0",
				"x-notifications-idempotency-key": notificationId,
			},
			body,
		},
	};
};

const sizeOf = (gate: Gate) => runInDurableObject(gate, (_i: EndpointGate, state) => state.storage.sql.databaseSize);

const ledgerRows = (gate: Gate) =>
	runInDurableObject(
		gate,
		(_i: EndpointGate, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM ledger").one().n,
	);

/** Sends `n` notifications through the gate, six to a call as the consumer does. */
const sendAll = async (gate: Gate, ids: string[], url: string) => {
	for (let i = 0; i < ids.length; i += 6) {
		const answers = await gate.sendMany(ids.slice(i, i + 6).map((id) => realistic(id, url)));
		for (const a of answers) expect(a.kind).toBe("sent");
	}
};

const N = 120;

describe("gate storage", () => {
	it("keeps each request once: bytes per notification while its ledger row lives", async () => {
		const tag = uniqueTag("bytes");
		const gate = gateOf(`wh_${tag}`);
		const url = `${env.RECEIVER_URL}/ok/${tag}`;
		await sendAll(gate, [`ntf_${tag}_warm`], url);
		const before = await sizeOf(gate);
		await sendAll(
			gate,
			Array.from({ length: N }, (_, i) => `ntf_${tag}_${i}`),
			url,
		);
		const perNotification = ((await sizeOf(gate)) - before) / N;
		console.log(JSON.stringify({ msg: "gate bytes per notification", perNotification, bodyBytes: 1024 }));
		// The body once (about 1 KB) and the attempt's record, not the body twice.
		expect(perNotification).toBeLessThan(2400);
		const twice = await runInDurableObject(
			gate,
			(_i: EndpointGate, state) =>
				state.storage.sql
					.exec<{ n: number }>(`SELECT count(*) AS n FROM ledger WHERE instr(last_attempt, '"body"') > 0`)
					.one().n,
		);
		expect(twice).toBe(0);
	});

	it("drops settled rows an hour after their last attempt from the alarm, with no send, and reuses the space", async () => {
		const tag = uniqueTag("window");
		const gate = gateOf(`wh_${tag}`);
		const url = `${env.RECEIVER_URL}/ok/${tag}`;
		await sendAll(gate, [`ntf_${tag}_warm`], url);
		const empty = await sizeOf(gate);
		const ids = Array.from({ length: N }, (_, i) => `ntf_${tag}_${i}`);
		await sendAll(gate, ids, url);
		const full = await sizeOf(gate);
		// The sweep does not wait for the next send: an alarm is set for it.
		expect(await runInDurableObject(gate, (_i: EndpointGate, state) => state.storage.getAlarm())).not.toBeNull();
		// An hour passes for all but the last notification.
		await runInDurableObject(gate, (_i: EndpointGate, state) => {
			state.storage.sql.exec(
				"UPDATE ledger SET updated_at = updated_at - ? WHERE notification_id <> ?",
				LEDGER_KEEP_MS + 1,
				ids.at(-1),
			);
		});
		expect(await runDurableObjectAlarm(gate)).toBe(true);
		expect(await ledgerRows(gate)).toBe(1);
		// The last one's row is still within its hour: a redelivery of it replays.
		const [replayed] = await gate.sendMany([realistic(ids.at(-1) as string, url)]);
		expect(replayed?.kind).toBe("replay");
		// The freed space takes the next notifications: the store does not grow with history.
		await sendAll(
			gate,
			ids.map((id) => `${id}_next`),
			url,
		);
		expect(await sizeOf(gate)).toBeLessThanOrEqual(full + (full - empty) * 0.1);
	});

	it("a send whose request D1 already holds (a retry, a re-send) keeps no copy of it", async () => {
		const tag = uniqueTag("stored");
		const gate = gateOf(`wh_${tag}`);
		const url = `${env.RECEIVER_URL}/ok/${tag}`;
		const [first, retry] = await gate.sendMany([
			realistic(`ntf_${tag}_first`, url),
			{ ...realistic(`ntf_${tag}_retry`, url), number: 2, requestStored: true },
		]);
		expect([first?.kind, retry?.kind]).toEqual(["sent", "sent"]);
		const requests = await runInDurableObject(gate, (_i: EndpointGate, state) =>
			state.storage.sql
				.exec<{ id: string; kept: number }>(
					"SELECT notification_id AS id, request IS NOT NULL AS kept FROM ledger ORDER BY notification_id",
				)
				.toArray(),
		);
		expect(requests).toEqual([
			{ id: `ntf_${tag}_first`, kept: 1 },
			{ id: `ntf_${tag}_retry`, kept: 0 },
		]);
	});

	it("near its storage bound sends nothing new: the consumer waits (no attempt, no dead letter); replays still answer", async () => {
		const tag = uniqueTag("full");
		const webhook = await createWebhook({ url: `${env.RECEIVER_URL}/ok/${tag}` });
		const gate = gateOf(webhook.id);
		const sent = await seedNotification(webhook.id);
		expect(await deliver(env, sent.id)).toEqual({ ack: true });
		const waits = await seedNotification(webhook.id);
		// Past the bound the tests run with (GATE_STORAGE_LIMIT_MB = 16 in vitest.config.ts).
		await runInDurableObject(gate, (_i: EndpointGate, state) => {
			state.storage.sql.exec("CREATE TABLE filler (b BLOB)");
			for (let i = 0; i < 9; i++) state.storage.sql.exec("INSERT INTO filler (b) VALUES (zeroblob(2000000))");
		});
		const before = Date.now();
		expect(await deliver(env, waits.id)).toEqual({ ack: false, delaySeconds: FULL_RETRY_SECONDS, requeue: true });
		expect(await received(tag)).toHaveLength(1);
		const waiting = (await (await api(`/v1/notifications/${waits.id}`)).json()) as {
			status: string;
			attemptCount: number;
			nextAttemptAt: string;
		};
		expect(waiting).toMatchObject({ status: "pending", attemptCount: 0 });
		expect(Date.parse(waiting.nextAttemptAt)).toBeGreaterThanOrEqual(before + FULL_RETRY_SECONDS * 1000);
		// What went out before is still replayed, not refused: that needs no new space.
		const [replay] = await gate.sendMany([
			gateInput(sent.id, `${env.RECEIVER_URL}/ok/${tag}`, { webhookId: webhook.id }),
		]);
		expect(replay?.kind).toBe("replay");
		// Space again: the notification goes out.
		await runInDurableObject(gate, (_i: EndpointGate, state) => state.storage.sql.exec("DROP TABLE filler"));
		await env.DB.prepare("update notifications set next_attempt_at = ? where id = ?").bind(Date.now(), waits.id).run();
		expect(await deliver(env, waits.id)).toEqual({ ack: true });
		expect(await received(tag)).toHaveLength(2);
	});
});
