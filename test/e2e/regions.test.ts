// Regions end to end, all on loopback, with a receiver on 127.0.0.1 that
// records who called it. First Hookline as `npm start` runs it, with its two
// local regions (eu through a proxy on 127.0.0.2, us on 127.0.0.3): each
// tenant's deliveries leave from its own region's address, and a webhook that
// names another region from that one. Then Hookline with regions whose proxies
// the test runs itself: while one region's proxy is down, its deliveries fail
// and retry, and none reaches the receiver by another way; once the proxy is
// back, they leave from its address.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEgressProxy } from "../../egress-proxy/server.ts";
import { type HooklineApi, hooklineApi } from "../support/api.ts";
import { type LocalHookline, startHookline } from "../support/local-hookline.ts";
import { type Receiver, startReceiver } from "../support/receiver.ts";

let receiver: Receiver;

beforeAll(async () => {
	receiver = await startReceiver();
});

afterAll(async () => {
	await receiver?.close();
});

const run = crypto.randomUUID().slice(0, 8);

const arrivedFrom = (tag: string) => receiver.received.filter((r) => r.tag === tag).map((r) => r.remoteAddress);

/** A tenant in `region` with one webhook per entry of `hooks` (a tag, and the webhook's own region if any). */
const tenantWithHooks = async (
	api: HooklineApi,
	name: string,
	region: string,
	hooks: { tag: string; region?: string; retryPolicy?: unknown; failureThreshold?: number }[],
) => {
	const id = `${name}-${run}`;
	expect((await api.call("POST", "/v1/tenants", { id, name, region })).status).toBe(201);
	for (const { tag, ...fields } of hooks) {
		const created = await api.call("POST", `/v1/tenants/${id}/webhooks`, {
			name: tag,
			eventTypes: ["loan.*"],
			url: `${receiver.url}/ok/${tag}`,
			...fields,
		});
		expect(created.status).toBe(201);
		expect(created.body.region).toBe(fields.region ?? region);
	}
	return id;
};

describe("npm start's two local regions", () => {
	let hookline: LocalHookline;
	let api: HooklineApi;

	beforeAll(async () => {
		hookline = await startHookline();
		api = hooklineApi(hookline);
	});

	afterAll(async () => {
		await hookline?.stop();
	});

	it("publish each region's address", async () => {
		const answer = await api.call("GET", "/v1/sender-ips");
		expect(answer.body).toEqual({
			ips: ["127.0.0.2", "127.0.0.3"],
			regions: [
				{ name: "eu", ips: ["127.0.0.2"] },
				{ name: "us", ips: ["127.0.0.3"] },
			],
		});
	});

	it("deliver each tenant's events from its own region's address, and a webhook's from the region it names", async () => {
		const euTag = `eu-${run}`;
		const pinnedTag = `eu-pinned-us-${run}`;
		const usTag = `us-${run}`;
		const eu = await tenantWithHooks(api, "regional-eu", "eu", [{ tag: euTag }, { tag: pinnedTag, region: "us" }]);
		const us = await tenantWithHooks(api, "regional-us", "us", [{ tag: usTag }]);
		for (const tenant of [eu, us])
			expect((await api.call("POST", `/v1/tenants/${tenant}/events`, { type: "loan.created", data: {} })).status).toBe(
				202,
			);
		await api.poll("a delivery to each webhook", async () =>
			[euTag, pinnedTag, usTag].every((tag) => arrivedFrom(tag).length > 0) ? true : undefined,
		);
		expect(arrivedFrom(euTag)).toEqual(["127.0.0.2"]);
		expect(arrivedFrom(pinnedTag)).toEqual(["127.0.0.3"]);
		expect(arrivedFrom(usTag)).toEqual(["127.0.0.3"]);
	});
});

describe("a region whose egress proxy is down", () => {
	const SECRET = "e2e-regions-secret";
	let hookline: LocalHookline;
	let api: HooklineApi;
	const proxyOn = (address: string, port = 0) =>
		startEgressProxy({
			secrets: [SECRET],
			policy: { allowPrivate: true, allowHttp: true },
			host: address,
			port,
			bindAddress: address,
			log: () => {},
		});
	let up: Awaited<ReturnType<typeof startEgressProxy>>;
	let down: Awaited<ReturnType<typeof startEgressProxy>> | undefined;

	beforeAll(async () => {
		up = await proxyOn("127.0.0.2");
		down = await proxyOn("127.0.0.3");
		const regions = [
			{ name: "up", egressProxyUrl: up.url, senderIps: ["127.0.0.2"] },
			{ name: "down", egressProxyUrl: down.url, senderIps: ["127.0.0.3"] },
		];
		hookline = await startHookline({ env: { REGIONS: JSON.stringify(regions), EGRESS_PROXY_SECRET: SECRET } });
		api = hooklineApi(hookline);
	});

	afterAll(async () => {
		await hookline?.stop();
		await up?.close();
		await down?.close();
	});

	it("retries its deliveries, sends none directly or through another region, and sends from it once it is back", async () => {
		const proxyUrl = new URL(down?.url ?? "");
		await down?.close();
		down = undefined;
		const tag = `down-${run}`;
		const tenant = await tenantWithHooks(api, "regional-down", "down", [
			// Retries every second, and a circuit that stays closed, so the recovery shows at once.
			{ tag, retryPolicy: { delaysSeconds: Array(10).fill(1) }, failureThreshold: 1000 },
		]);
		const event = await api.json("POST", `/v1/tenants/${tenant}/events`, { type: "loan.created", data: {} });
		const history = `/v1/tenants/${tenant}/notifications`;
		const failed = await api.poll("two failed attempts", async () => {
			const list = await api.json("GET", `${history}?eventId=${event.id}`);
			const id = list.data?.[0]?.id as string | undefined;
			if (!id) return undefined;
			const detail = await api.json("GET", `${history}/${id}`);
			const attempts = detail.attempts as { errorKind: string; error: string }[];
			return attempts.length >= 2 ? { id, attempts } : undefined;
		});
		for (const attempt of failed.attempts) {
			expect(attempt.errorKind).toBe("proxy");
			expect(attempt.error).toContain("region down");
		}
		// Nothing reached the receiver: not directly (from 127.0.0.1), not through the region that is up.
		expect(arrivedFrom(tag)).toEqual([]);

		down = await proxyOn(proxyUrl.hostname, Number(proxyUrl.port));
		const delivered = await api.poll("delivered once the proxy is back", async () => {
			const detail = await api.json("GET", `${history}/${failed.id}`);
			return detail.status === "delivered" ? detail : undefined;
		});
		expect(arrivedFrom(tag)).toEqual(["127.0.0.3"]);
		expect((delivered.attempts as unknown[]).length).toBeGreaterThan(2);
	});
});
