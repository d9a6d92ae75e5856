// Request shaping through the API: preview, test events, secret rotation.
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { api, createWebhook, eventually, received, uniqueTag } from "./helpers";

type Problem = { status: number; errors: { path: string; message: string }[] };

describe("POST /v1/webhooks/preview", () => {
	it("returns the exact request a sample event would produce, without secrets", async () => {
		const res = await api("/v1/webhooks/preview", {
			method: "POST",
			body: {
				webhook: {
					url: "https://example.com/loans/{{data.id}}",
					method: "PATCH",
					contentType: "application/xml",
					headers: { "X-Event": "{{event.type}}" },
					payloadTemplate: '<loan id="{{data.id}}">{{data.note}}</loan>',
					auth: { type: "basic", username: "u", password: "p" },
				},
				event: { type: "loan.paid", data: { id: "L 1/2", note: "<b>&</b>" } },
			},
		});
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({
			request: {
				method: "PATCH",
				url: "https://example.com/loans/L%201%2F2",
				headers: {
					"content-type": "application/xml",
					"user-agent": expect.stringMatching(/^Hookline\//),
					"x-notifications-idempotency-key": "ntf_preview",
					"x-event": "loan.paid",
				},
				body: '<loan id="L 1/2">&lt;b&gt;&amp;&lt;/b&gt;</loan>',
			},
			addedAtSend: ["webhook-id", "webhook-timestamp", "webhook-signature", "authorization"],
		});
	});

	it("previews a stored webhook with changed fields", async () => {
		const hook = await createWebhook({ payloadTemplate: '{"v": 1}' });
		const res = await api("/v1/webhooks/preview", {
			method: "POST",
			body: {
				webhookId: hook.id,
				webhook: { payloadTemplate: '{"amount": {{#json}}data.amount{{/json}}}' },
				event: { data: { amount: 12.5 } },
			},
		});
		expect(res.status).toBe(200);
		const { request } = (await res.json()) as { request: { url: string; body: string } };
		expect(request.url).toBe(hook.url);
		expect(request.body).toBe('{"amount": 12.5}');
	});

	it("answers template errors with their position, naming the field", async () => {
		const res = await api("/v1/webhooks/preview", {
			method: "POST",
			body: {
				webhook: { url: "https://example.com/", payloadTemplate: '{"a": {{data.a}}}' },
				event: { data: { a: "x" } },
			},
		});
		expect(res.status).toBe(400);
		const problem = (await res.json()) as Problem;
		expect(problem.errors[0]?.path).toBe("payloadTemplate");
		expect(problem.errors[0]?.message).toMatch(/position 6 \(line 1, column 7\)/);
		const unclosed = (await (
			await api("/v1/webhooks/preview", { method: "POST", body: { webhook: { url: "https://example.com/{{#data}}" } } })
		).json()) as Problem;
		expect(unclosed.errors[0]).toMatchObject({
			path: "url",
			message: expect.stringMatching(/Unclosed section "data" at \d+/),
		});
	});

	it("refuses an Authorization header next to Basic auth", async () => {
		const res = await api("/v1/webhooks", {
			method: "POST",
			body: {
				name: "x",
				eventTypes: ["*"],
				url: "https://example.com/",
				headers: { Authorization: "Bearer t" },
				auth: { type: "basic", username: "u", password: "p" },
			},
		});
		expect(res.status).toBe(400);
		expect(((await res.json()) as Problem).errors[0]?.path).toBe("headers.authorization");
	});
});

describe("POST /v1/webhooks/:id/test", () => {
	it("delivers a webhook.test event to this webhook only, through the normal pipeline", async () => {
		const tag = uniqueTag("test-event");
		const hook = await createWebhook({ eventTypes: ["loan.created"], url: `${env.RECEIVER_URL}/ok/${tag}` });
		const other = await createWebhook({ eventTypes: ["*"] });
		const res = await api(`/v1/webhooks/${hook.id}/test`, { method: "POST" });
		expect(res.status).toBe(202);
		const body = (await res.json()) as { id: string; type: string; notifications: number };
		expect(body).toMatchObject({ type: "webhook.test", notifications: 1 });
		const got = await eventually(async () => {
			const r = await received(tag);
			return r.length > 0 ? r : undefined;
		});
		expect(JSON.parse(got[0]?.body ?? "")).toMatchObject({ type: "webhook.test", data: { webhookId: hook.id } });
		const listed = (await (await api(`/v1/notifications?eventId=${body.id}`)).json()) as {
			data: { webhookId: string }[];
		};
		expect(listed.data.map((n) => n.webhookId)).toEqual([hook.id]);
		await api(`/v1/webhooks/${other.id}`, { method: "DELETE" });
	});

	it("answers 409 for a disabled webhook", async () => {
		const hook = await createWebhook({ enabled: false });
		const res = await api(`/v1/webhooks/${hook.id}/test`, { method: "POST" });
		expect(res.status).toBe(409);
		expect(res.headers.get("content-type")).toBe("application/problem+json");
	});
});

describe("secret rotation", () => {
	const sendTest = async (hookId: string, tag: string, count: number) => {
		await api(`/v1/webhooks/${hookId}/test`, { method: "POST" });
		return eventually(async () => {
			const r = await received(tag);
			return r.length >= count ? r : undefined;
		});
	};

	it("signs with both secrets during the window, so old and new verifiers accept", async () => {
		const tag = uniqueTag("rotate");
		const hook = await createWebhook({ url: `${env.RECEIVER_URL}/ok/${tag}` });
		const rotated = await api(`/v1/webhooks/${hook.id}/rotate-secret`, { method: "POST" });
		const { secret, previousSecretExpiresAt } = (await rotated.json()) as {
			secret: string;
			previousSecretExpiresAt: string;
		};
		expect(Date.parse(previousSecretExpiresAt)).toBeGreaterThan(Date.now() + 23 * 3600_000);
		const [request] = await sendTest(hook.id, tag, 1);
		expect(request?.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
		expect(() => new Webhook(hook.secret).verify(request?.body ?? "", request?.headers ?? {})).not.toThrow();
		expect(() => new Webhook(secret).verify(request?.body ?? "", request?.headers ?? {})).not.toThrow();
	});

	it("signs with the new secret alone when the window is 0", async () => {
		const tag = uniqueTag("rotate-now");
		const hook = await createWebhook({ url: `${env.RECEIVER_URL}/ok/${tag}` });
		const rotated = await api(`/v1/webhooks/${hook.id}/rotate-secret`, {
			method: "POST",
			body: { previousSecretTtlSeconds: 0 },
		});
		const { secret } = (await rotated.json()) as { secret: string };
		const [request] = await sendTest(hook.id, tag, 1);
		expect(request?.headers["webhook-signature"]?.split(" ")).toHaveLength(1);
		expect(() => new Webhook(secret).verify(request?.body ?? "", request?.headers ?? {})).not.toThrow();
		expect(() => new Webhook(hook.secret).verify(request?.body ?? "", request?.headers ?? {})).toThrow();
	});

	it("refuses a window over 7 days", async () => {
		const hook = await createWebhook();
		const res = await api(`/v1/webhooks/${hook.id}/rotate-secret`, {
			method: "POST",
			body: { previousSecretTtlSeconds: 10 ** 7 },
		});
		expect(res.status).toBe(400);
		expect(((await res.json()) as Problem).errors[0]?.path).toBe("previousSecretTtlSeconds");
	});
});
