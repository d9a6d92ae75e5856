// End to end over HTTP: `wrangler dev` as `npm start` runs it, a real
// receiver on 127.0.0.1, and an event that travels through the local queue.
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalHookline, startHookline } from "../support/local-hookline.ts";
import { type Receiver, startReceiver } from "../support/receiver.ts";

let hookline: LocalHookline;
let receiver: Receiver;

beforeAll(async () => {
	receiver = await startReceiver();
	hookline = await startHookline();
});

afterAll(async () => {
	await hookline?.stop();
	await receiver?.close();
});

const call = async (path: string, token: string, body?: unknown, headers: Record<string, string> = {}) => {
	const res = await fetch(`${hookline.url}${path}`, {
		method: body === undefined ? "GET" : "POST",
		headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	return {
		status: res.status,
		body: (await res.json()) as Record<string, unknown> & { data?: Record<string, unknown>[] },
	};
};

const poll = async <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000) => {
	const until = Date.now() + timeoutMs;
	while (Date.now() < until) {
		const value = await check();
		if (value !== undefined) return value;
		await new Promise((r) => setTimeout(r, 100));
	}
	throw new Error(`${what}: not within ${timeoutMs} ms\n--- hookline output ---\n${hookline.output()}`);
};

describe("an event reaches a local receiver through wrangler dev", () => {
	it("delivers once, with the idempotency key and a valid signature, and lists it as delivered", async () => {
		const created = await call("/v1/webhooks", hookline.adminToken, {
			name: "e2e receiver",
			eventTypes: ["loan.*"],
			url: `${receiver.url}/ok/e2e/{{event.type}}`,
			payloadTemplate: '{"loan": "{{data.loanId}}", "amount": {{#json}}data.amount{{/json}}}',
		});
		expect(created.status).toBe(201);
		const secret = created.body.secret as string;

		const ingested = await call(
			"/v1/events",
			hookline.ingestToken,
			{ type: "loan.created", data: { loanId: "L-1", amount: 2500 } },
			{ "idempotency-key": "e2e-1" },
		);
		expect(ingested.status).toBe(202);
		expect(ingested.body).toMatchObject({ type: "loan.created", notifications: 1 });
		const repeat = await call(
			"/v1/events",
			hookline.ingestToken,
			{ type: "loan.created", data: {} },
			{ "idempotency-key": "e2e-1" },
		);
		expect(repeat.status).toBe(200);
		expect(repeat.body).toEqual(ingested.body);

		const arrived = await poll("arrival", async () => {
			const got = receiver.received.filter((r) => r.tag === "e2e/loan.created");
			return got.length > 0 ? got : undefined;
		});
		const delivered = await poll("delivered status", async () => {
			const list = await call(`/v1/notifications?eventId=${ingested.body.id}`, hookline.adminToken);
			const [n] = list.body.data ?? [];
			return n?.status === "delivered" ? n : undefined;
		});
		// Give a duplicate a chance to show up before counting.
		await new Promise((r) => setTimeout(r, 1000));
		expect(receiver.received.filter((r) => r.tag === "e2e/loan.created")).toHaveLength(1);

		const request = arrived[0];
		expect(request?.headers["x-notifications-idempotency-key"]).toBe(delivered.id);
		expect(JSON.parse(request?.body ?? "")).toEqual({ loan: "L-1", amount: 2500 });
		expect(() => new Webhook(secret).verify(request?.body ?? "", request?.headers ?? {})).not.toThrow();

		const detail = await call(`/v1/notifications/${delivered.id}`, hookline.adminToken);
		expect(detail.body).toMatchObject({
			status: "delivered",
			request: { method: "POST", url: `${receiver.url}/ok/e2e/loan.created`, body: request?.body },
			attempts: [{ number: 1, succeeded: true, statusCode: 200 }],
		});
	});

	it("refuses the ingest token on admin routes over HTTP", async () => {
		const res = await call("/v1/webhooks", hookline.ingestToken);
		expect(res.status).toBe(403);
		expect(res.body.status).toBe(403);
	});
});
