// Assured delivery: the endpoint gate, re-sends, dead letters and the sweeper.
import { createExecutionContext, createMessageBatch, getQueueResult, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { deliver, handleDeliveries } from "../../src/delivery/consumer";
import { handleDeadLetters } from "../../src/delivery/dead-letters";
import type { EndpointGate } from "../../src/gate";
import { sweep } from "../../src/history/sweeper";
import { newId } from "../../src/ids";
import type { DeliveryMessage } from "../../src/queue/messages";
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

const seed = async (webhookId: string, options: Parameters<typeof seedNotification>[1] = {}) =>
	(await seedNotification(webhookId, options)).id;

const detail = async (id: string) =>
	(await (await api(`/v1/notifications/${id}`)).json()) as {
		status: string;
		series: number;
		trigger: string;
		lastError: string | null;
		attempts: { series: number; number: number; trigger: string; succeeded: boolean; url: string | null }[];
	};

/** The state of a notification's entry in its gate's ledger, read from the gate's own storage. */
const ledgerStateOf = (gate: DurableObjectStub<EndpointGate>, notificationId: string) =>
	runInDurableObject(
		gate,
		(_instance: EndpointGate, state) =>
			state.storage.sql
				.exec<{ state: string }>("SELECT state FROM ledger WHERE notification_id = ?", notificationId)
				.toArray()[0]?.state,
	);

describe("endpoint gate", () => {
	it("lets one of two racing sends through and answers the other busy", async () => {
		const tag = uniqueTag("race");
		const gate = gateOf(`wh_gate_${tag}`);
		const input = gateInput("ntf_race", `${env.RECEIVER_URL}/slow/300/${tag}`);
		const answers = await Promise.all([gateSend(gate, input), gateSend(gate, { ...input, attemptId: newId("att") })]);
		expect(answers.map((a) => a.kind).sort()).toEqual(["busy", "sent"]);
		expect(await received(tag)).toHaveLength(1);
	});

	it("replays instead of sending after success, and for an attempt number already used", async () => {
		const tag = uniqueTag("replay");
		const gate = gateOf(`wh_gate_${tag}`);
		const failing = gateInput("ntf_a", `${env.RECEIVER_URL}/flaky/1/${tag}`);
		const first = await gateSend(gate, failing);
		expect(first).toMatchObject({ kind: "sent", number: 1, outcome: { succeeded: false, statusCode: 500 } });
		const again = await gateSend(gate, { ...failing, attemptId: newId("att") });
		expect(again).toMatchObject({ kind: "replay", attemptId: failing.attemptId, outcome: { statusCode: 500 } });
		const second = await gateSend(gate, { ...failing, number: 2, attemptId: newId("att") });
		expect(second).toMatchObject({ kind: "sent", number: 2, outcome: { succeeded: true } });
		const afterSuccess = await gateSend(gate, { ...failing, number: 3, attemptId: newId("att") });
		expect(afterSuccess).toMatchObject({ kind: "replay", number: 2, outcome: { succeeded: true } });
		expect(await received(tag)).toHaveLength(2);
	});

	it("hands a caller that is behind the newest attempt instead of sending an old number again", async () => {
		const tag = uniqueTag("behind");
		const gate = gateOf(`wh_gate_${tag}`);
		const input = gateInput("ntf_b", `${env.RECEIVER_URL}/status/500/${tag}`);
		await gateSend(gate, input);
		const second = await gateSend(gate, { ...input, number: 2, attemptId: newId("att") });
		const behind = await gateSend(gate, { ...input, number: 1, attemptId: newId("att") });
		expect(behind).toMatchObject({
			kind: "replay",
			number: 2,
			attemptId: second.kind === "sent" ? second.attemptId : "",
		});
		expect(await received(tag)).toHaveLength(2);
	});

	it("sends a newer series again after success, and calls an older one stale", async () => {
		const tag = uniqueTag("series");
		const gate = gateOf(`wh_gate_${tag}`);
		const input = gateInput("ntf_s", `${env.RECEIVER_URL}/ok/${tag}`);
		expect((await gateSend(gate, input)).kind).toBe("sent");
		expect((await gateSend(gate, { ...input, series: 1, attemptId: newId("att") })).kind).toBe("sent");
		expect((await gateSend(gate, { ...input, series: 0, number: 2 })).kind).toBe("stale");
		expect(await received(tag)).toHaveLength(2);
	});

	it("holds a re-send (newer series) while the older send is in flight", async () => {
		const tag = uniqueTag("inflight-series");
		const gate = gateOf(`wh_gate_${tag}`);
		const input = gateInput("ntf_is", `${env.RECEIVER_URL}/slow/300/${tag}`);
		const [older, newer] = await Promise.all([
			gateSend(gate, input),
			(async () => {
				// The re-send comes while the older send holds the ledger entry.
				await eventually(async () => ((await ledgerStateOf(gate, "ntf_is")) === "inflight" ? true : undefined));
				return gateSend(gate, { ...input, series: 1, attemptId: newId("att") });
			})(),
		]);
		expect(older.kind).toBe("sent");
		expect(newer.kind).toBe("busy");
		expect(await received(tag)).toHaveLength(1);
		// The older send's result does not overwrite the newer series' entry.
		expect((await gateSend(gate, { ...input, series: 1, attemptId: newId("att") })).kind).toBe("sent");
	});

	it("bounds the sends in flight to one receiver: a send at the bound waits in the gate for a slot", async () => {
		const tag = uniqueTag("bound");
		const gate = gateOf(`wh_gate_${tag}`);
		const url = `${env.RECEIVER_URL}/slow/300/${tag}`;
		const answers = await Promise.all(
			["n1", "n2", "n3"].map((id) => gateSend(gate, gateInput(id, url, { maxConcurrency: 2 }))),
		);
		// (Before parking, the third was answered busy and its message requeued; now it takes the first free slot.)
		expect(answers.map((a) => a.kind)).toEqual(["sent", "sent", "sent"]);
		const at = (await received(tag)).map((r) => (r as unknown as { at: number }).at).sort((x, y) => x - y);
		expect(at).toHaveLength(3);
		// Two went at once; the third only once one of them had its answer.
		expect((at[2] as number) - (at[0] as number)).toBeGreaterThanOrEqual(250);
	});

	it("takes several sends in one call and answers each in order", async () => {
		const tag = uniqueTag("many");
		const gate = gateOf(`wh_gate_${tag}`);
		const url = `${env.RECEIVER_URL}/ok/${tag}`;
		const first = await gateSend(gate, gateInput("ntf_m0", url));
		const inputs = [
			gateInput("ntf_m1", url),
			gateInput("ntf_m0", url),
			gateInput("ntf_m2", url),
			gateInput("ntf_m1", url),
		];
		const answers = await gate.sendMany(inputs);
		// m0 went out before: replayed, not sent again; the second m1 finds the first in flight.
		expect(answers.map((a) => a.kind)).toEqual(["sent", "replay", "sent", "busy"]);
		// Each answer belongs to its own input: the sent ones carry their attempt ids, the replay m0's first one.
		const attemptIds = answers.map((a) => ("attemptId" in a ? a.attemptId : undefined));
		expect(attemptIds).toEqual([
			inputs[0]?.attemptId,
			"attemptId" in first ? first.attemptId : "none",
			inputs[2]?.attemptId,
			undefined,
		]);
		expect((await received(tag)).map((r) => r.headers["webhook-id"]).sort()).toEqual(["ntf_m0", "ntf_m1", "ntf_m2"]);
	});

	it("drops expired ledger rows in rounds that keep up with any backlog", async () => {
		const tag = uniqueTag("sweep");
		const stub = gateOf(`wh_gate_${tag}`);
		const old = Date.now() - 15 * 86_400_000;
		const count = () =>
			runInDurableObject(
				stub,
				(_instance: EndpointGate, state) =>
					state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM ledger WHERE updated_at < ?", old + 1).one()
						.n,
			);
		await runInDurableObject(stub, (_instance: EndpointGate, state) => {
			for (let i = 0; i < 600; i++)
				state.storage.sql.exec(
					"INSERT INTO ledger (notification_id, series, last_number, state, updated_at) VALUES (?, 0, 1, 'delivered', ?)",
					`ntf_old_${i}`,
					old,
				);
		});
		const url = `${env.RECEIVER_URL}/ok/${tag}`;
		await gateSend(stub, gateInput("ntf_s1", url));
		expect(await count()).toBe(100);
		// A full round: the next send sweeps again instead of waiting a minute.
		await gateSend(stub, gateInput("ntf_s2", url));
		expect(await count()).toBe(0);
		expect(await ledgerStateOf(stub, "ntf_s2")).toBe("delivered");
	});

	it("retries a send whose lease ran out (its instance died mid-flight)", async () => {
		const tag = uniqueTag("lease");
		const stub = gateOf(`wh_gate_${tag}`);
		await runInDurableObject(stub, (_instance: EndpointGate, state) => {
			state.storage.sql.exec(
				"INSERT INTO ledger (notification_id, series, last_number, state, lease_until, last_attempt, updated_at) VALUES ('ntf_l', 0, 1, 'inflight', ?, NULL, ?)",
				Date.now() - 1,
				Date.now(),
			);
		});
		const answer = await gateSend(stub, gateInput("ntf_l", `${env.RECEIVER_URL}/ok/${tag}`));
		expect(answer.kind).toBe("sent");
		expect(await ledgerStateOf(stub, "ntf_l")).toBe("delivered");
	});
});

describe("consumer with the gate", () => {
	it("does not send twice when two consumers race on one notification", async () => {
		const tag = uniqueTag("consumers");
		const hook = await createWebhook({ url: `${env.RECEIVER_URL}/slow/300/${tag}` });
		const id = await seed(hook.id);
		const decisions = await Promise.all([deliver(env, id), deliver(env, id)]);
		expect(decisions.filter((d) => d.ack)).toHaveLength(1);
		expect(await received(tag)).toHaveLength(1);
		// The loser comes back later and finds the work done.
		expect(await deliver(env, id)).toEqual({ ack: true });
		expect(await received(tag)).toHaveLength(1);
	});

	it("records a success the database missed, without sending again", async () => {
		const tag = uniqueTag("missed");
		const hook = await createWebhook({ url: `${env.RECEIVER_URL}/ok/${tag}` });
		const id = await seed(hook.id);
		await deliver(env, id);
		// As if the D1 write after the send was lost: the redelivered message finds it retrying.
		await env.DB.batch([
			env.DB.prepare(
				"update notifications set status = 'retrying', attempt_count = 0, delivered_at = null where id = ?",
			).bind(id),
			env.DB.prepare("delete from attempts where notification_id = ?").bind(id),
		]);
		expect(await deliver(env, id)).toEqual({ ack: true });
		expect(await received(tag)).toHaveLength(1);
		const n = await detail(id);
		expect(n.status).toBe("delivered");
		expect(n.attempts).toHaveLength(1);
	});

	it("waits at the bound without retrying the message, so waits never count toward max_retries", async () => {
		const tag = uniqueTag("busy");
		const hook = await createWebhook({ url: `${env.RECEIVER_URL}/slow/300/${tag}`, maxConcurrency: 1 });
		const a = await seed(hook.id);
		const b = await seed(hook.id);
		const batch = createMessageBatch<DeliveryMessage>("hookline-deliveries", [
			{ id: "m-a", timestamp: new Date(), attempts: 1, body: { notificationId: a } },
			{ id: "m-b", timestamp: new Date(), attempts: 1, body: { notificationId: b } },
		]);
		const ctx = createExecutionContext();
		await handleDeliveries(batch, env);
		const result = await getQueueResult(batch, ctx);
		expect(result.explicitAcks.sort()).toEqual(["m-a", "m-b"]);
		expect(result.retryMessages).toEqual([]);
		// One was sent at once; the other waited in the gate for the slot (or parked, on a slow machine).
		await eventually(async () => ((await received(tag)).length === 2 ? true : undefined), { timeoutMs: 15_000 });
	});

	it("honours Retry-After when it asks for longer than the policy", async () => {
		const hook = await createWebhook({
			url: `${env.RECEIVER_URL}/retry-after/200/${uniqueTag("ra")}`,
			retryPolicy: { delaysSeconds: [1] },
		});
		const decision = await deliver(env, await seed(hook.id));
		expect(decision).toEqual({ ack: false, delaySeconds: 200 });
	});
});

describe("re-send", () => {
	it("re-sends a failed notification with a manual series, the same key and the same body", async () => {
		const tag = uniqueTag("resend");
		const hook = await createWebhook({ url: `${env.RECEIVER_URL}/flaky/1/${tag}`, retryPolicy: { delaysSeconds: [] } });
		const id = await seed(hook.id);
		await deliver(env, id);
		expect((await detail(id)).status).toBe("failed");

		const res = await api(`/v1/notifications/${id}/resend`, { method: "POST" });
		expect(res.status).toBe(202);
		expect(await res.json()).toMatchObject({ id, status: "pending", series: 1, trigger: "manual", attemptCount: 0 });
		await eventually(async () => ((await detail(id)).status === "delivered" ? true : undefined));
		const n = await detail(id);
		expect(n.attempts.map((a) => [a.series, a.number, a.trigger, a.succeeded])).toEqual([
			[0, 1, "auto", false],
			[1, 1, "manual", true],
		]);
		const got = await received(tag);
		expect(got).toHaveLength(2);
		expect(got[1]?.body).toBe(got[0]?.body);
		expect(got[1]?.headers["x-notifications-idempotency-key"]).toBe(id);
		expect(got[0]?.headers["x-notifications-idempotency-key"]).toBe(id);
	});

	it("re-sends, one and in bulk, to the webhook's fixed URL once an operator fixed it, with the stored body", async () => {
		const tag = uniqueTag("fixed");
		const hook = await createWebhook({
			url: `${env.RECEIVER_URL}/status/404/${tag}-old`,
			retryPolicy: { delaysSeconds: [] },
		});
		const one = await seed(hook.id);
		const many = [await seed(hook.id), await seed(hook.id)];
		for (const id of [one, ...many]) await deliver(env, id);
		expect((await received(`${tag}-old`)).length).toBe(3);
		await api(`/v1/webhooks/${hook.id}`, { method: "PATCH", body: { url: `${env.RECEIVER_URL}/ok/${tag}-new` } });

		expect((await api(`/v1/notifications/${one}/resend`, { method: "POST" })).status).toBe(202);
		const bulk = await api("/v1/notifications/resend", { method: "POST", body: { ids: many } });
		expect(await bulk.json()).toEqual({ count: 2 });
		const moved = await eventually(async () => {
			const got = await received(`${tag}-new`);
			return got.length === 3 ? got : undefined;
		});
		expect(new Set(moved.map((r) => r.headers["x-notifications-idempotency-key"]))).toEqual(new Set([one, ...many]));
		const old = await received(`${tag}-old`);
		for (const r of moved) {
			const first = old.find(
				(o) => o.headers["x-notifications-idempotency-key"] === r.headers["x-notifications-idempotency-key"],
			);
			expect(r.body).toBe(first?.body);
		}
		expect(old).toHaveLength(3);
		const n = await detail(one);
		expect(n.attempts.map((a) => a.url)).toEqual([
			`${env.RECEIVER_URL}/status/404/${tag}-old`,
			`${env.RECEIVER_URL}/ok/${tag}-new`,
		]);
	});

	it("answers 409 for a pending notification or a deleted webhook, 404 for an unknown one", async () => {
		const hook = await createWebhook();
		const pending = await seed(hook.id, { nextAttemptAt: Date.now() + 3_600_000 });
		expect((await api(`/v1/notifications/${pending}/resend`, { method: "POST" })).status).toBe(409);
		const failed = await seed(hook.id, { status: "failed", nextAttemptAt: null });
		await api(`/v1/webhooks/${hook.id}`, { method: "DELETE" });
		const gone = await api(`/v1/notifications/${failed}/resend`, { method: "POST" });
		expect(gone.status).toBe(409);
		expect(((await gone.json()) as { detail: string }).detail).toContain("deleted");
		expect((await api("/v1/notifications/ntf_01JD0Z4N6V7W8X9Y0Z1A2B3C4D/resend", { method: "POST" })).status).toBe(404);
	});

	it("bulk re-sends the failed notifications of a filter, through fan-out messages, and delivers them all", async () => {
		const tag = uniqueTag("bulk");
		const hook = await createWebhook({ url: `${env.RECEIVER_URL}/ok/${tag}` });
		const other = await createWebhook({ url: `${env.RECEIVER_URL}/ok/${uniqueTag("other")}` });
		const ids = [];
		for (let i = 0; i < 150; i++) ids.push(await seed(hook.id, { status: "failed", nextAttemptAt: null }));
		await seed(hook.id, { status: "delivered", nextAttemptAt: null });
		await seed(other.id, { status: "failed", nextAttemptAt: null });

		const res = await api("/v1/notifications/resend", { method: "POST", body: { webhookId: hook.id } });
		expect(res.status).toBe(202);
		expect(await res.json()).toEqual({ count: 150 });
		await eventually(
			async () => {
				const got = await received(tag);
				return new Set(got.map((r) => r.headers["x-notifications-idempotency-key"])).size === 150 ? got : undefined;
			},
			{ timeoutMs: 30_000, intervalMs: 200 },
		);
		const keys = (await received(tag)).map((r) => r.headers["x-notifications-idempotency-key"]);
		expect(new Set(keys)).toEqual(new Set(ids));
	}, 60_000);

	it("bulk re-sends only the given ids", async () => {
		const tag = uniqueTag("ids");
		const hook = await createWebhook({ url: `${env.RECEIVER_URL}/ok/${tag}` });
		const a = await seed(hook.id, { status: "failed", nextAttemptAt: null });
		await seed(hook.id, { status: "failed", nextAttemptAt: null });
		const res = await api("/v1/notifications/resend", { method: "POST", body: { ids: [a] } });
		expect(await res.json()).toEqual({ count: 1 });
	});

	it("bulk re-sends a list of ids longer than D1's bound-parameter limit", async () => {
		const hook = await createWebhook({ url: `${env.RECEIVER_URL}/ok/${uniqueTag("many-ids")}` });
		const ids = [];
		for (let i = 0; i < 5; i++) ids.push(await seed(hook.id, { status: "failed", nextAttemptAt: null }));
		const padding = Array.from({ length: 995 }, (_, i) => `ntf_missing_${i}`);
		const res = await api("/v1/notifications/resend", { method: "POST", body: { ids: [...ids, ...padding] } });
		expect(res.status).toBe(202);
		expect(await res.json()).toEqual({ count: 5 });
	});

	it("refuses a bulk filter on a status that cannot be re-sent", async () => {
		const res = await api("/v1/notifications/resend", { method: "POST", body: { status: "pending" } });
		expect(res.status).toBe(400);
		expect(((await res.json()) as { errors: { path: string }[] }).errors[0]?.path).toBe("status");
	});
});

describe("dead letters", () => {
	it("marks what the consumer could not handle failed, with the reason, and leaves finished ones alone", async () => {
		const hook = await createWebhook();
		const stuck = await seed(hook.id, { status: "retrying" });
		const done = await seed(hook.id, { status: "delivered", nextAttemptAt: null });
		const batch = createMessageBatch<DeliveryMessage>("hookline-deliveries-dlq", [
			{ id: "dl-1", timestamp: new Date(), attempts: 1, body: { notificationId: stuck } },
			{ id: "dl-2", timestamp: new Date(), attempts: 1, body: { notificationId: done } },
		]);
		const ctx = createExecutionContext();
		await handleDeadLetters(batch, env);
		expect((await getQueueResult(batch, ctx)).explicitAcks.sort()).toEqual(["dl-1", "dl-2"]);
		expect(await detail(stuck)).toMatchObject({
			status: "failed",
			lastError: expect.stringContaining("dead-lettered"),
		});
		expect((await detail(done)).status).toBe("delivered");
	});
});

describe("dead letters of an older series", () => {
	it("never fail a newer manual series; a dead letter of the current series does", async () => {
		const hook = await createWebhook();
		const id = await seed(hook.id, { status: "pending" });
		await env.DB.prepare("update notifications set series = 1, trigger = 'manual' where id = ?").bind(id).run();
		const letter = (series: number) =>
			createMessageBatch<DeliveryMessage>("hookline-deliveries-dlq", [
				{ id: `dl-${series}`, timestamp: new Date(), attempts: 1, body: { notificationId: id, series } },
			]);
		await handleDeadLetters(letter(0), env);
		expect((await detail(id)).status).toBe("pending");
		await handleDeadLetters(letter(1), env);
		expect(await detail(id)).toMatchObject({ status: "failed", lastError: expect.stringContaining("dead-lettered") });
	});
});

describe("sweeper", () => {
	it("re-enqueues a notification that was written but never enqueued", async () => {
		const tag = uniqueTag("sweep");
		const hook = await createWebhook({ url: `${env.RECEIVER_URL}/ok/${tag}` });
		const id = await seed(hook.id, { at: Date.now() - 600_000 });
		const result = await sweep(env);
		expect(result.reenqueued).toBeGreaterThanOrEqual(1);
		await eventually(async () => ((await detail(id)).status === "delivered" ? true : undefined));
		expect(await received(tag)).toHaveLength(1);
	});

	it("leaves notifications that are not yet overdue alone", async () => {
		const hook = await createWebhook();
		const id = await seed(hook.id, { status: "retrying", nextAttemptAt: Date.now() - 10_000 });
		await sweep(env);
		const row = await env.DB.prepare("select next_attempt_at t from notifications where id = ?")
			.bind(id)
			.first<{ t: number }>();
		expect(row?.t).toBeLessThan(Date.now() - 9_000);
	});

	it("purges finished history older than RETENTION_DAYS and keeps the rest", async () => {
		const hook = await createWebhook();
		const old = Date.now() - 40 * 86_400_000;
		const oldDelivered = await seed(hook.id, { status: "delivered", at: old, nextAttemptAt: null });
		await env.DB.prepare(
			"insert into attempts (id, notification_id, series, number, trigger, started_at, duration_ms, succeeded) values (?, ?, 0, 1, 'auto', ?, 5, 1)",
		)
			.bind(newId("att", old), oldDelivered, old)
			.run();
		const oldPending = await seed(hook.id, { status: "retrying", at: old, nextAttemptAt: Date.now() + 3_600_000 });
		const recent = await seed(hook.id, { status: "delivered", nextAttemptAt: null });
		const result = await sweep(env);
		expect(result.purged.notifications).toBeGreaterThanOrEqual(1);
		expect((await api(`/v1/notifications/${oldDelivered}`)).status).toBe(404);
		const orphans = await env.DB.prepare("select count(*) n from attempts where notification_id = ?")
			.bind(oldDelivered)
			.first<{ n: number }>();
		expect(orphans?.n).toBe(0);
		expect((await api(`/v1/notifications/${oldPending}`)).status).toBe(200);
		expect((await api(`/v1/notifications/${recent}`)).status).toBe(200);
	});
});
