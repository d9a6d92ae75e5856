// Two tenants end to end over HTTP through wrangler dev: each with its own API
// key, webhook and receiver path; an event of one reaches only its own
// receiver, its history shows only under its own tenant, and a revoked key
// stops working.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HooklineApi, hooklineApi } from "../support/api.ts";
import { type LocalHookline, startHookline } from "../support/local-hookline.ts";
import { type Receiver, startReceiver } from "../support/receiver.ts";

let hookline: LocalHookline;
let receiver: Receiver;
let api: HooklineApi;

beforeAll(async () => {
	receiver = await startReceiver();
	hookline = await startHookline();
	api = hooklineApi(hookline);
});

afterAll(async () => {
	await hookline?.stop();
	await receiver?.close();
});

const run = crypto.randomUUID().slice(0, 8);

/** A tenant with a key of every scope and one webhook for `loan.*`, created through that key. */
const tenantWithWebhook = async (name: string) => {
	const id = `${name}-${run}`;
	expect((await api.call("POST", "/v1/tenants", { id, name })).status).toBe(201);
	const key = await api.call("POST", "/v1/keys", {
		name: `${name} producer`,
		tenantId: id,
		scopes: ["ingest", "read", "manage"],
	});
	expect(key.status).toBe(201);
	const secret = key.body.secret as string;
	const webhook = await api.call(
		"POST",
		"/v1/webhooks",
		{ name: `${name} hook`, eventTypes: ["loan.*"], url: `${receiver.url}/ok/${id}` },
		{ token: secret },
	);
	expect(webhook.status).toBe(201);
	return { id, keyId: key.body.id as string, secret, webhookId: webhook.body.id as string };
};

describe("tenants over HTTP", () => {
	it("delivers each tenant's events to its own webhooks only, and keeps each history apart", async () => {
		const a = await tenantWithWebhook("alpha");
		const b = await tenantWithWebhook("beta");

		// The same event id in both tenants: two events, not a repeat.
		const event = { type: "loan.created", id: `shared-${run}`, data: { loanId: "L-7" } };
		const sentA = await api.call("POST", `/v1/tenants/${a.id}/events`, event, { token: a.secret });
		const sentB = await api.call("POST", "/v1/events", event, { token: b.secret });
		expect([sentA.status, sentB.status]).toEqual([202, 202]);
		expect(sentA.body.notifications).toBe(1);
		expect(sentB.body.notifications).toBe(1);

		for (const t of [a, b]) {
			await api.poll(`${t.id} delivered`, async () => {
				const list = await api.call("GET", `/v1/notifications?eventId=${event.id}`, undefined, { token: t.secret });
				const [n] = list.body.data ?? [];
				return n?.status === "delivered" ? n : undefined;
			});
			expect(receiver.received.filter((r) => r.tag === t.id)).toHaveLength(1);
		}

		// Each history holds its own tenant's notification; the other's webhook id is unknown.
		const listA = await api.call("GET", `/v1/tenants/${a.id}/notifications`, undefined, { token: a.secret });
		expect((listA.body.data ?? []).map((n) => n.webhookId)).toEqual([a.webhookId]);
		expect((await api.call("GET", `/v1/webhooks/${a.webhookId}`, undefined, { token: b.secret })).status).toBe(404);
		expect((await api.call("GET", `/v1/tenants/${a.id}/notifications`, undefined, { token: b.secret })).status).toBe(
			403,
		);
		// The operator reads either tenant under its path.
		const operatorB = await api.call("GET", `/v1/tenants/${b.id}/webhooks`);
		expect((operatorB.body.data ?? []).map((w) => w.id)).toEqual([b.webhookId]);
	});

	it("stops a revoked key", async () => {
		const t = await tenantWithWebhook("gamma");
		expect((await api.call("GET", "/v1/webhooks", undefined, { token: t.secret })).status).toBe(200);
		expect((await api.call("DELETE", `/v1/keys/${t.keyId}`)).status).toBe(204);
		// Within 10 seconds everywhere (the contract); wrangler dev runs one isolate, so at once here.
		await api.poll(
			"revoked key refused",
			async () => {
				const res = await api.call("GET", "/v1/webhooks", undefined, { token: t.secret });
				return res.status === 401 ? res : undefined;
			},
			10_000,
		);
	});
});
