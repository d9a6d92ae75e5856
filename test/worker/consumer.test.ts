// The deliveries-queue consumer, driven with real message batches against
// notifications written straight to D1 (so no queue message races the test).
import { createExecutionContext, createMessageBatch, getQueueResult, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { deliver, handleDeliveries } from "../../src/delivery/consumer";
import { callShape } from "../../src/delivery/gate-calls";
import { loadAll, READ_BYTES } from "../../src/delivery/load";
import { jittered } from "../../src/delivery/retry-policy";
import type { EndpointGate } from "../../src/gate";
import { metrics } from "../../src/metrics";
import type { DeliveryMessage } from "../../src/queue/messages";
import { api, createWebhook, defaultShard as env, gateOf, received, seedNotification, uniqueTag } from "./helpers";

const seed = (webhookId: string, data?: Record<string, unknown>) => seedNotification(webhookId, { data });

/** One queue batch of these notifications' messages, handled: the queue's result and the gate calls it made. */
const runBatch = async (notificationIds: string[]) => {
	const batch = createMessageBatch<DeliveryMessage>(
		"hookline-deliveries",
		notificationIds.map((id) => ({
			id: `msg-${id}`,
			timestamp: new Date(),
			attempts: 1,
			body: { notificationId: id },
		})),
	);
	const ctx = createExecutionContext();
	const before = metrics().gateCalls;
	await handleDeliveries(batch, env);
	return { result: await getQueueResult(batch, ctx), gateCalls: metrics().gateCalls - before };
};

const run = async (notificationId: string) => (await runBatch([notificationId])).result;

type Detail = {
	status: string;
	attemptCount: number;
	lastError: string | null;
	nextAttemptAt: string | null;
	request: { method: string; url: string; headers: Record<string, string>; body: string } | null;
	attempts: {
		number: number;
		trigger: string;
		succeeded: boolean;
		statusCode: number | null;
		errorKind: string | null;
		error: string | null;
		responseExcerpt: string | null;
		url: string | null;
	}[];
};

const detail = async (id: string) => (await (await api(`/v1/notifications/${id}`)).json()) as Detail;

/** Makes the notification's next attempt due now, as the queue's delay would. */
const makeDue = (id: string) =>
	env.DB.prepare("update notifications set next_attempt_at = ? where id = ?").bind(Date.now(), id).run();

describe("delivery consumer", () => {
	it("sends once, records the attempt, stores the request without secrets, and acks", async () => {
		const tag = uniqueTag("ok");
		const hook = await createWebhook({
			url: `${env.RECEIVER_URL}/ok/${tag}`,
			headers: { "X-Loan": "{{data.amount}}" },
			auth: { type: "basic", username: "u", password: "secret-pw" },
		});
		const { id } = await seed(hook.id);
		const result = await run(id);
		expect(result.explicitAcks).toEqual([`msg-${id}`]);
		expect(result.retryMessages).toEqual([]);

		const got = await received(tag);
		expect(got).toHaveLength(1);
		expect(got[0]?.headers["x-notifications-idempotency-key"]).toBe(id);
		expect(got[0]?.headers["x-loan"]).toBe("10");

		const n = await detail(id);
		expect(n.status).toBe("delivered");
		expect(n.attempts).toMatchObject([
			{ number: 1, trigger: "auto", succeeded: true, statusCode: 200, responseExcerpt: "ok" },
		]);
		expect(n.request).toMatchObject({ method: "POST", url: `${env.RECEIVER_URL}/ok/${tag}`, body: got[0]?.body });
		expect(n.request?.headers["x-notifications-idempotency-key"]).toBe(id);
		expect(Object.keys(n.request?.headers ?? {})).not.toContain("authorization");
		expect(Object.keys(n.request?.headers ?? {})).not.toContain("webhook-signature");
		expect(JSON.stringify(n)).not.toContain("secret-pw");
	});

	it("records a failed attempt and retries the message after the first delay with jitter", async () => {
		const tag = uniqueTag("fail");
		const hook = await createWebhook({
			url: `${env.RECEIVER_URL}/status/500/${tag}`,
			retryPolicy: { delaysSeconds: [100, 200] },
		});
		const { id } = await seed(hook.id);
		const result = await run(id);
		expect(result.explicitAcks).toEqual([]);
		expect(result.retryMessages.map((m) => m.msgId)).toEqual([`msg-${id}`]);

		const n = await detail(id);
		expect(n.status).toBe("retrying");
		expect(n.attemptCount).toBe(1);
		expect(n.lastError).toBe("HTTP 500");
		expect(Date.parse(n.nextAttemptAt ?? "")).toBeGreaterThan(Date.now() + 70_000);
		expect(n.attempts).toMatchObject([
			{ number: 1, succeeded: false, statusCode: 500, errorKind: "http", responseExcerpt: "status 500" },
		]);
	});

	it("logs a failed attempt as one line, and a successful one not at all (it is in the history)", async () => {
		const okTag = uniqueTag("log-ok");
		const failTag = uniqueTag("log-fail");
		const ok = await seed((await createWebhook({ url: `${env.RECEIVER_URL}/ok/${okTag}` })).id);
		const failing = await seed((await createWebhook({ url: `${env.RECEIVER_URL}/status/503/${failTag}` })).id);
		const log = vi.spyOn(console, "log");
		try {
			await runBatch([ok.id, failing.id]);
			const lines = log.mock.calls
				.map(([line]) => (typeof line === "string" && line.startsWith("{") ? JSON.parse(line) : undefined))
				.filter((entry) => entry?.msg === "attempt");
			expect(lines.filter((l) => l.notificationId === ok.id)).toEqual([]);
			expect(lines.filter((l) => l.notificationId === failing.id)).toMatchObject([
				{ number: 1, succeeded: false, statusCode: 503, errorKind: "http" },
			]);
		} finally {
			log.mockRestore();
		}
		expect((await detail(ok.id)).status).toBe("delivered");
	});

	it("asks the queue for the webhook's delay with ±20 % jitter", async () => {
		// getQueueResult does not report delaySeconds, so read the decision itself.
		const hook = await createWebhook({
			url: `${env.RECEIVER_URL}/status/500/${uniqueTag("delay")}`,
			retryPolicy: { delaysSeconds: [100, 200] },
		});
		const { id } = await seed(hook.id);
		const decision = await deliver(env, id);
		expect(decision.ack).toBe(false);
		const delay = decision.ack ? 0 : decision.delaySeconds;
		expect(delay).toBeGreaterThanOrEqual(80);
		expect(delay).toBeLessThanOrEqual(120);
		await makeDue(id);
		const second = await deliver(env, id);
		expect(second.ack ? 0 : second.delaySeconds).toBeGreaterThanOrEqual(160);
		expect(second.ack ? 0 : second.delaySeconds).toBeLessThanOrEqual(240);
	});

	it("waits instead of sending when a message arrives before the attempt is due", async () => {
		const tag = uniqueTag("early");
		const hook = await createWebhook({
			url: `${env.RECEIVER_URL}/status/500/${tag}`,
			retryPolicy: { delaysSeconds: [100] },
		});
		const { id } = await seed(hook.id);
		await run(id);
		const early = await deliver(env, id);
		expect(early.ack ? 0 : early.delaySeconds).toBeGreaterThan(60);
		expect(await received(tag)).toHaveLength(1);
	});

	it("sends a parked notification on its gate's release although its due time is the safety net; any other early message waits", async () => {
		const tag = uniqueTag("released");
		const hook = await createWebhook({ url: `${env.RECEIVER_URL}/ok/${tag}` });
		// Parked: still pending at its first attempt, due only at the sweeper's safety net an hour away.
		const { id } = await seedNotification(hook.id, { nextAttemptAt: Date.now() + 3_600_000 });
		// A plain message, and a release for an attempt it is no longer waiting to make, wait like any early one.
		expect(await deliver(env, id)).toMatchObject({ ack: false, requeue: true });
		expect(await deliver(env, id, Date.now(), { series: 0, released: 2 })).toMatchObject({ ack: false, requeue: true });
		expect(await deliver(env, id, Date.now(), { series: 1, released: 1 })).toMatchObject({ ack: false, requeue: true });
		expect(await received(tag)).toHaveLength(0);
		// The gate's release, for the attempt it waits to make: sent now.
		expect(await deliver(env, id, Date.now(), { series: 0, released: 1 })).toEqual({ ack: true });
		expect(await received(tag)).toHaveLength(1);
		expect((await detail(id)).status).toBe("delivered");
	});

	it("sends the stored request byte for byte on a retry, even after the templates changed", async () => {
		const tag = uniqueTag("stored");
		const hook = await createWebhook({
			url: `${env.RECEIVER_URL}/status/503/${tag}`,
			payloadTemplate: '{"v": 1, "amount": "{{data.amount}}"}',
			retryPolicy: { delaysSeconds: [1, 1] },
		});
		const { id } = await seed(hook.id);
		await run(id);
		const patched = await api(`/v1/webhooks/${hook.id}`, { method: "PATCH", body: { payloadTemplate: '{"v": 2}' } });
		expect(patched.status).toBe(200);
		await makeDue(id);
		await run(id);
		const got = await received(tag);
		expect(got.map((r) => r.body)).toEqual(['{"v": 1, "amount": "10"}', '{"v": 1, "amount": "10"}']);
		expect(got[0]?.headers["webhook-id"]).toBe(id);
		expect(got[1]?.headers["x-notifications-idempotency-key"]).toBe(id);
	});

	it("sends a retry after a change of URL and password to the new URL only, with the stored body, and records where each attempt went", async () => {
		const tag = uniqueTag("moved");
		const hook = await createWebhook({
			url: `${env.RECEIVER_URL}/status/503/${tag}-old`,
			auth: { type: "basic", username: "acme", password: "old-password" },
			retryPolicy: { delaysSeconds: [1, 1] },
		});
		const { id } = await seed(hook.id);
		await run(id);
		const patched = await api(`/v1/webhooks/${hook.id}`, {
			method: "PATCH",
			body: {
				url: `${env.RECEIVER_URL}/ok/${tag}-new`,
				auth: { type: "basic", username: "acme", password: "new-password" },
			},
		});
		expect(patched.status).toBe(200);
		await makeDue(id);
		await run(id);
		const basic = (r: { headers: Record<string, string> }) =>
			atob((r.headers.authorization ?? "").replace(/^Basic /, ""));
		const old = await received(`${tag}-old`);
		const moved = await received(`${tag}-new`);
		expect(old.map(basic)).toEqual(["acme:old-password"]);
		expect(moved.map(basic)).toEqual(["acme:new-password"]);
		expect(moved[0]?.body).toBe(old[0]?.body);
		const n = await detail(id);
		expect(n.status).toBe("delivered");
		expect(n.request?.url).toBe(`${env.RECEIVER_URL}/status/503/${tag}-old`);
		expect(n.attempts.map((a) => a.url)).toEqual([
			`${env.RECEIVER_URL}/status/503/${tag}-old`,
			`${env.RECEIVER_URL}/ok/${tag}-new`,
		]);
	});

	it("ends failed after the last attempt and acks", async () => {
		const tag = uniqueTag("last");
		const hook = await createWebhook({
			url: `${env.RECEIVER_URL}/status/500/${tag}`,
			retryPolicy: { delaysSeconds: [1] },
		});
		const { id } = await seed(hook.id);
		await run(id);
		await makeDue(id);
		const result = await run(id);
		expect(result.explicitAcks).toEqual([`msg-${id}`]);
		const n = await detail(id);
		expect(n.status).toBe("failed");
		expect(n.attempts.map((a) => a.number)).toEqual([1, 2]);
		expect(n.nextAttemptAt).toBeNull();
	});

	it("does not send again what was already delivered", async () => {
		const tag = uniqueTag("twice");
		const hook = await createWebhook({ url: `${env.RECEIVER_URL}/ok/${tag}` });
		const { id } = await seed(hook.id);
		await run(id);
		const again = await run(id);
		expect(again.explicitAcks).toEqual([`msg-${id}`]);
		expect(await received(tag)).toHaveLength(1);
		expect((await detail(id)).attempts).toHaveLength(1);
	});

	it.each([
		["timeout", (tag: string) => `/slow/3000/${tag}`, { timeoutMs: 1000 }],
		["redirect", (tag: string) => `/redirect/${tag}`, {}],
	])("classifies a %s as a failed attempt", async (kind, path, extra) => {
		const tag = uniqueTag(kind);
		const hook = await createWebhook({ url: `${env.RECEIVER_URL}${path(tag)}`, ...extra });
		const { id } = await seed(hook.id);
		await run(id);
		const n = await detail(id);
		expect(n.status).toBe("retrying");
		expect(n.attempts[0]).toMatchObject({ succeeded: false, errorKind: kind });
		// A redirect is not followed: the receiver saw one request only.
		expect(await received(tag)).toHaveLength(1);
	});

	it("classifies a refused connection as a network failure", async () => {
		const hook = await createWebhook({ url: "http://127.0.0.1:9/closed" });
		const { id } = await seed(hook.id);
		await run(id);
		expect((await detail(id)).attempts[0]).toMatchObject({ succeeded: false, errorKind: "network", statusCode: null });
	});

	it("does not retry a 410 Gone", async () => {
		const hook = await createWebhook({ url: `${env.RECEIVER_URL}/status/410/${uniqueTag("gone")}` });
		const { id } = await seed(hook.id);
		const result = await run(id);
		expect(result.explicitAcks).toEqual([`msg-${id}`]);
		expect((await detail(id)).status).toBe("failed");
	});

	it("fails only that notification when a 410 answers a URL that event data chose; the webhook stays enabled", async () => {
		const tag = uniqueTag("gone-one");
		const hook = await createWebhook({ url: `${env.RECEIVER_URL}/status/{{data.code}}/${tag}` });
		const gone = await seed(hook.id, { code: 410 });
		expect((await run(gone.id)).explicitAcks).toEqual([`msg-${gone.id}`]);
		expect((await detail(gone.id)).status).toBe("failed");
		const webhook = (await (await api(`/v1/webhooks/${hook.id}`)).json()) as {
			enabled: boolean;
			disabledReason: string | null;
		};
		expect(webhook).toMatchObject({ enabled: true, disabledReason: null });
		const fine = await seed(hook.id, { code: 200 });
		await run(fine.id);
		expect((await detail(fine.id)).status).toBe("delivered");
	});

	it("tells the gate of a 410 disable only once D1 has committed it", async () => {
		const tag = uniqueTag("gone-later");
		const hook = await createWebhook({ url: `${env.RECEIVER_URL}/status/410/${tag}` });
		const { id } = await seed(hook.id);
		const gateDisabledAt = () =>
			runInDurableObject(gateOf(hook.id), (_gate: EndpointGate, state) => {
				const [row] = state.storage.sql
					.exec<{ disabled_at: number | null }>("SELECT disabled_at FROM circuit")
					.toArray();
				return row?.disabled_at ?? null;
			});
		// D1 refuses this notification's attempt record, so the batch that holds the disable fails whole.
		await env.DB.prepare(
			`CREATE TRIGGER refuse_attempt BEFORE INSERT ON attempts WHEN NEW.notification_id = '${id}'
			 BEGIN SELECT RAISE(ABORT, 'refused for the test'); END`,
		).run();
		const refused = await run(id);
		expect(refused.retryMessages.map((m) => m.msgId)).toEqual([`msg-${id}`]);
		expect(await gateDisabledAt()).toBeNull();
		expect(((await (await api(`/v1/webhooks/${hook.id}`)).json()) as { enabled: boolean }).enabled).toBe(true);
		// Once D1 takes the record (the gate replays the 410), the webhook and its gate are disabled together.
		await env.DB.prepare("DROP TRIGGER refuse_attempt").run();
		await run(id);
		expect(((await (await api(`/v1/webhooks/${hook.id}`)).json()) as { enabled: boolean }).enabled).toBe(false);
		expect(await gateDisabledAt()).not.toBeNull();
		expect(await received(tag)).toHaveLength(1);
	});

	it("fails without retrying a request whose URL renders invalid, with the reason", async () => {
		const hook = await createWebhook({ url: `${env.RECEIVER_URL}/ok/{{data.path}}` });
		const { id } = await seed(hook.id, { path: "x" });
		// The event data cannot break the URL (values are percent-encoded), so break the template itself.
		await env.DB.prepare("update webhooks set url = ? where id = ?").bind("{{data.path}}", hook.id).run();
		const result = await run(id);
		expect(result.explicitAcks).toEqual([`msg-${id}`]);
		const n = await detail(id);
		expect(n.status).toBe("failed");
		expect(n.attempts[0]).toMatchObject({ errorKind: "invalid_request" });
		expect(n.attempts[0]?.error).toContain("not an absolute URL");
	});

	it("fails a notification whose template outgrows the bound alone; the rest of its batch is delivered", async () => {
		const tag = uniqueTag("bounded");
		const exploding = await createWebhook({
			url: `${env.RECEIVER_URL}/ok/${tag}-big`,
			payloadTemplate: '{"all": [{{#data.items}}{{#json}}data{{/json}},{{/data.items}}0]}',
		});
		const fine = await createWebhook({ url: `${env.RECEIVER_URL}/ok/${tag}-fine` });
		const items = Array.from({ length: 400 }, (_, i) => ({ i, pad: "p".repeat(500) }));
		const big = await seed(exploding.id, { items });
		const small = await seed(fine.id);
		const batch = createMessageBatch<DeliveryMessage>(
			"hookline-deliveries",
			[big.id, small.id].map((id) => ({
				id: `msg-${id}`,
				timestamp: new Date(),
				attempts: 1,
				body: { notificationId: id },
			})),
		);
		const ctx = createExecutionContext();
		await handleDeliveries(batch, env);
		expect((await getQueueResult(batch, ctx)).explicitAcks.sort()).toEqual([`msg-${big.id}`, `msg-${small.id}`].sort());
		const failed = await detail(big.id);
		expect(failed.status).toBe("failed");
		expect(failed.attempts[0]).toMatchObject({ errorKind: "invalid_request" });
		expect(failed.attempts[0]?.error).toMatch(/^payloadTemplate: renders over \d+ bytes \(stopped while rendering\)$/);
		expect(await received(`${tag}-big`)).toHaveLength(0);
		expect((await detail(small.id)).status).toBe("delivered");
	});

	it("retries the message without spending an attempt when an internal error occurs", async () => {
		const tag = uniqueTag("internal");
		const hook = await createWebhook({ url: `${env.RECEIVER_URL}/ok/${tag}` });
		const { id } = await seed(hook.id);
		await env.DB.prepare("update webhooks set secret_sealed = 'v1.broken.broken' where id = ?").bind(hook.id).run();
		const result = await run(id);
		expect(result.explicitAcks).toEqual([]);
		expect(result.retryMessages.map((m) => m.msgId)).toEqual([`msg-${id}`]);
		const n = await detail(id);
		expect(n.attemptCount).toBe(0);
		expect(n.attempts).toEqual([]);
		expect(await received(tag)).toHaveLength(0);
	});

	it("makes one gate call per webhook for a batch, and delivers every message once", async () => {
		const tags = [uniqueTag("batch-a"), uniqueTag("batch-b")];
		const hooks = await Promise.all(tags.map((tag) => createWebhook({ url: `${env.RECEIVER_URL}/ok/${tag}` })));
		const ids = [
			...(await Promise.all([1, 2, 3].map(() => seed(hooks[0]?.id ?? "")))),
			...(await Promise.all([1, 2].map(() => seed(hooks[1]?.id ?? "")))),
		].map((n) => n.id);
		const { result, gateCalls } = await runBatch(ids);
		expect(gateCalls).toBe(2);
		expect(result.explicitAcks.sort()).toEqual(ids.map((id) => `msg-${id}`).sort());
		expect((await received(tags[0] ?? "")).length).toBe(3);
		expect((await received(tags[1] ?? "")).length).toBe(2);
		for (const id of ids) expect((await detail(id)).status).toBe("delivered");
	});

	it("keeps a batch's sends to one webhook within its maxConcurrency, so none waits out its slot and parks", async () => {
		const tag = uniqueTag("bound");
		// Each send takes longer than a send at the bound waits in the gate for a slot (SLOT_WAIT_MS).
		const hook = await createWebhook({ url: `${env.RECEIVER_URL}/slow/1500/${tag}`, maxConcurrency: 10 });
		const ids = (await Promise.all(Array.from({ length: 30 }, () => seed(hook.id)))).map((n) => n.id);
		const { result, gateCalls } = await runBatch(ids);
		expect(result.explicitAcks).toHaveLength(30);
		// Calls of five, two at a time: ten in flight at most, and every one sent in this batch.
		expect(gateCalls).toBe(6);
		expect((await received(tag)).length).toBe(30);
		for (const id of ids) expect((await detail(id)).status).toBe("delivered");
	}, 20_000);

	it("shapes a webhook's calls from its maxConcurrency", () => {
		expect(callShape(10)).toEqual({ perCall: 5, atOnce: 2 });
		expect(callShape(1)).toEqual({ perCall: 1, atOnce: 1 });
		expect(callShape(6)).toEqual({ perCall: 6, atOnce: 1 });
		expect(callShape(50)).toEqual({ perCall: 5, atOnce: 9 });
		for (const max of [1, 2, 7, 10, 13, 100, 1000]) {
			const { perCall, atOnce } = callShape(max);
			expect(perCall).toBeLessThanOrEqual(6);
			expect(perCall * atOnce).toBeLessThanOrEqual(max);
			expect(perCall * atOnce).toBeGreaterThan(max - atOnce - 1);
		}
	});

	it("stops a deleted webhook's pending notifications", async () => {
		const tag = uniqueTag("deleted");
		const hook = await createWebhook({ url: `${env.RECEIVER_URL}/ok/${tag}` });
		const { id } = await seed(hook.id);
		await api(`/v1/webhooks/${hook.id}`, { method: "DELETE" });
		const result = await run(id);
		expect(result.explicitAcks).toEqual([`msg-${id}`]);
		expect(await received(tag)).toHaveLength(0);
		expect(await detail(id)).toMatchObject({ status: "failed", lastError: "webhook deleted" });
	});
});

describe("jittered", () => {
	it("stays within ±20 % and under the queue's 12-hour cap", () => {
		expect(jittered(100, () => 0)).toBe(80);
		expect(jittered(100, () => 1)).toBe(120);
		expect(jittered(43_200, () => 1)).toBe(43_200);
	});
});

/** The real D1, with the size of every read's result written down. */
const recordingD1 = (db: D1Database, sizes: number[]): D1Database => {
	const wrap = (statement: D1PreparedStatement): D1PreparedStatement =>
		new Proxy(statement, {
			get(target, name) {
				if (name === "bind") return (...values: unknown[]) => wrap(target.bind(...values));
				if (name === "all" || name === "raw") {
					return async (...args: unknown[]) => {
						const result = await (target[name] as (...a: unknown[]) => Promise<unknown>).apply(target, args);
						sizes.push(JSON.stringify(result).length);
						return result;
					};
				}
				const value = Reflect.get(target, name, target);
				return typeof value === "function" ? value.bind(target) : value;
			},
		});
	return new Proxy(db, {
		get(target, name) {
			if (name === "prepare") return (query: string) => wrap(target.prepare(query));
			const value = Reflect.get(target, name, target);
			return typeof value === "function" ? value.bind(target) : value;
		},
	});
};

describe("a batch of large events", () => {
	it("loads 100 events of 250 KB in reads of at most READ_BYTES, every byte there", async () => {
		const hook = await createWebhook();
		const big = "x".repeat(250 * 1024);
		const ids: string[] = [];
		for (let i = 0; i < 100; i++) ids.push((await seed(hook.id, { i, big })).id);
		const sizes: number[] = [];
		const loaded = await loadAll({ ...env, DB: recordingD1(env.DB, sizes) }, ids);
		expect(loaded.size).toBe(100);
		for (const id of ids) expect(JSON.parse(loaded.get(id)?.event?.data ?? "{}").big).toBe(big);
		// A read may pass READ_BYTES by one event at most (it always takes at least one).
		expect(Math.max(...sizes)).toBeLessThan(READ_BYTES + 300 * 1024);
	});

	it("counts a packed event at what D1 returns for it (an array of byte values), so reads stay near READ_BYTES", async () => {
		const hook = await createWebhook();
		// Random hex packs to about half its size: some 125 KB of gzip each, four times that as D1 returns it.
		const hex = () =>
			Array.from({ length: 2 }, () =>
				[...crypto.getRandomValues(new Uint8Array(62 * 1024))].map((b) => b.toString(16).padStart(2, "0")).join(""),
			).join("");
		const ids: string[] = [];
		const blobs: string[] = [];
		for (let i = 0; i < 30; i++) {
			blobs.push(hex());
			ids.push((await seedNotification(hook.id, { data: { i, blob: blobs[i] }, packed: true })).id);
		}
		const sizes: number[] = [];
		const loaded = await loadAll({ ...env, DB: recordingD1(env.DB, sizes) }, ids);
		ids.forEach((id, i) => {
			expect(JSON.parse(loaded.get(id)?.event?.data ?? "{}").blob).toBe(blobs[i]);
		});
		expect(Math.max(...sizes)).toBeLessThan(READ_BYTES + 700 * 1024);
	});

	it("delivers 100 events of 250 KB each in one batch", async () => {
		const tag = uniqueTag("large");
		// Four webhooks, so each gate keeps 25 requests of 250 KB in its ledger, within the tests' 16 MB bound.
		const hooks = await Promise.all([0, 1, 2, 3].map(() => createWebhook({ url: `${env.RECEIVER_URL}/ok/${tag}` })));
		const big = "x".repeat(250 * 1024 - 64);
		const ids: string[] = [];
		for (let i = 0; i < 100; i++) ids.push((await seed((hooks[i % 4] as { id: string }).id, { i, big })).id);
		expect((await runBatch(ids)).result.explicitAcks).toHaveLength(100);
		expect((await received(tag)).length).toBe(100);
	});
});
