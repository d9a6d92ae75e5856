// Worker → egress proxy → receiver, all on loopback: `wrangler dev` as
// `npm start` runs it, configured with EGRESS_PROXY_URL, the proxy sending
// from 127.0.0.2, and a real receiver that records who called it.
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEgressProxy } from "../../egress-proxy/server.ts";
import { type HooklineApi, hooklineApi } from "../support/api.ts";
import { type LocalHookline, startHookline } from "../support/local-hookline.ts";
import { type Receiver, startReceiver } from "../support/receiver.ts";

const SECRET = "e2e-egress-secret";

let hookline: LocalHookline;
let receiver: Receiver;
let api: HooklineApi;
let proxy: Awaited<ReturnType<typeof startEgressProxy>>;

beforeAll(async () => {
	receiver = await startReceiver();
	proxy = await startEgressProxy({
		secrets: [SECRET],
		// Local development: the receiver is on loopback.
		policy: { allowPrivate: true, allowHttp: true },
		bindAddress: "127.0.0.2",
		resolve: async (hostname) => {
			throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
		},
		log: () => {},
	});
	hookline = await startHookline({ env: { EGRESS_PROXY_URL: proxy.url, EGRESS_PROXY_SECRET: SECRET } });
	api = hooklineApi(hookline);
});

afterAll(async () => {
	await hookline?.stop();
	await proxy?.close();
	await receiver?.close();
});

describe("deliveries through the egress proxy", () => {
	it("reach the receiver from the proxy's address, signed and with the idempotency key intact", async () => {
		const webhook = await api.json("POST", "/v1/webhooks", {
			name: "via proxy",
			eventTypes: ["egress.ok"],
			url: `${receiver.url}/ok/e2e-egress/{{event.type}}`,
			payloadTemplate: '{"loan": "{{data.loanId}}"}',
		});
		const secret = webhook.secret as string;
		const event = await api.json("POST", "/v1/events", { type: "egress.ok", data: { loanId: "L-9" } });
		const [seen] = await api.poll("delivery through the proxy", async () => {
			const got = receiver.received.filter((r) => r.tag === "e2e-egress/egress.ok");
			return got.length > 0 ? got : undefined;
		});
		expect(seen?.remoteAddress).toBe("127.0.0.2");
		expect(seen?.body).toBe('{"loan": "L-9"}');
		const list = await api.json("GET", `/v1/notifications?eventId=${event.id}`);
		const notificationId = list.data?.[0]?.id as string;
		expect(seen?.headers["x-notifications-idempotency-key"]).toBe(notificationId);
		expect(() => new Webhook(secret).verify(seen?.body ?? "", seen?.headers ?? {})).not.toThrow();
		expect(Object.keys(seen?.headers ?? {}).filter((h) => h.startsWith("x-hookline-egress"))).toEqual([]);
		const delivered = await api.poll("delivered status", async () => {
			const detail = await api.json("GET", `/v1/notifications/${notificationId}`);
			return detail.status === "delivered" ? detail : undefined;
		});
		expect((delivered.attempts as { statusCode: number }[])[0]?.statusCode).toBe(200);
	});

	it("records the proxy's own failure as such, not as the receiver's answer", async () => {
		await api.json("POST", "/v1/webhooks", {
			name: "unresolvable via proxy",
			eventTypes: ["egress.dns"],
			url: "https://nowhere.example.com/hook",
			retryPolicy: { delaysSeconds: [60] },
		});
		const event = await api.json("POST", "/v1/events", { type: "egress.dns", data: {} });
		const attempt = await api.poll("a recorded attempt", async () => {
			const list = await api.json("GET", `/v1/notifications?eventId=${event.id}`);
			const id = list.data?.[0]?.id as string | undefined;
			if (!id) return undefined;
			const detail = await api.json("GET", `/v1/notifications/${id}`);
			return (detail.attempts as Record<string, unknown>[] | undefined)?.[0];
		});
		expect(attempt.statusCode).toBeNull();
		expect(attempt.errorKind).toBe("network");
		expect(attempt.error).toMatch(/egress proxy: dns/);
	});
});
