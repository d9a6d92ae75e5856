// Regions: the settings that name them (REGIONS, or the first version's
// EGRESS_PROXY_URL and SENDER_IPS), the region a tenant and a webhook send
// from, and that a delivery leaves through its own region and no other. The
// tests' regions (vitest.config.ts): `eu`, the first, sends directly to the
// tests' receiver; `us` goes through an egress proxy that is not there.
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { readConfig } from "../../src/config";
import { deliver } from "../../src/delivery/consumer";
import {
	api,
	createTenant,
	createWebhook,
	defaultShard as env,
	historyOf,
	received,
	seedNotification,
	uniqueTag,
} from "./helpers";

type Problem = { status: number; detail: string; errors?: { path: string; message: string }[] };
type WebhookJson = { id: string; region: string | null; regionInherited: boolean };

const settingsAnswer = async (path: string, settings: Record<string, unknown>) => {
	const res = await app.request(path, {}, { ...env, ...settings });
	return { status: res.status, body: (await res.json()) as Problem & Record<string, unknown> };
};

const REGIONS = [
	{ name: "eu", egressProxyUrl: "https://egress-eu.example.com/relay", senderIps: ["203.0.113.10"] },
	{
		name: "us-east",
		egressProxyUrl: "https://egress-us.example.com/relay",
		senderIps: ["198.51.100.20", "2001:db8::20"],
	},
];

describe("region settings", () => {
	it("reads REGIONS as JSON text or as the list a [vars] entry gives, each with its own secret or the shared one", () => {
		for (const value of [JSON.stringify(REGIONS), REGIONS]) {
			const config = readConfig({
				...env,
				REGIONS: value,
				EGRESS_PROXY_SECRET: "shared",
				EGRESS_PROXY_SECRET_US_EAST: "own",
			} as unknown as Env);
			expect(config.regions).toEqual([
				{ ...REGIONS[0], secret: "shared", secretSetting: "EGRESS_PROXY_SECRET_EU" },
				{ ...REGIONS[1], secret: "own", secretSetting: "EGRESS_PROXY_SECRET_US_EAST" },
			]);
			expect(config.senderIps).toEqual(["203.0.113.10", "198.51.100.20", "2001:db8::20"]);
		}
	});

	it("reads the first version's EGRESS_PROXY_URL and SENDER_IPS as one region named default", async () => {
		const legacy = {
			REGIONS: "",
			EGRESS_PROXY_URL: "https://egress.example.com/relay",
			SENDER_IPS: "203.0.113.10, 2001:db8::10",
			EGRESS_PROXY_SECRET: "s",
		};
		expect(readConfig({ ...env, ...legacy } as unknown as Env).regions).toEqual([
			{
				name: "default",
				egressProxyUrl: "https://egress.example.com/relay",
				senderIps: ["203.0.113.10", "2001:db8::10"],
				secret: "s",
				secretSetting: "EGRESS_PROXY_SECRET_DEFAULT",
			},
		]);
		const { status, body } = await settingsAnswer("/v1/sender-ips", legacy);
		expect(status).toBe(200);
		expect(body).toEqual({
			ips: ["203.0.113.10", "2001:db8::10"],
			regions: [{ name: "default", ips: ["203.0.113.10", "2001:db8::10"] }],
		});
		const none = await settingsAnswer("/v1/sender-ips", { REGIONS: "", SENDER_IPS: "", EGRESS_PROXY_URL: "" });
		expect(none.body).toEqual({ ips: [], regions: [] });
	});

	it.each([
		["not JSON", "eu,us", "REGIONS", "must be JSON"],
		["not a list", '{"name":"eu"}', "REGIONS", "must be a list of regions"],
		["a name missing", '[{"egressProxyUrl":"https://e.example.com/relay"}]', "REGIONS.0.name", ""],
		["a name in capitals", '[{"name":"EU"}]', "REGIONS.0.name", "lowercase letters"],
		["a name twice", '[{"name":"eu"},{"name":"eu"}]', "REGIONS.1.name", "names eu a second time"],
		[
			"a misspelt field",
			'[{"name":"eu","egressProxyURL":"https://e.example.com/relay"}]',
			"REGIONS.0",
			"egressProxyURL",
		],
		[
			"a bad sender IP",
			'[{"name":"eu","senderIps":["203.0.113.1","203.0.113.300"]}]',
			"REGIONS.0.senderIps.1",
			"not an IP",
		],
		["senderIps not a list", '[{"name":"eu","senderIps":"203.0.113.1"}]', "REGIONS.0.senderIps", ""],
		[
			"an http: proxy on the internet",
			'[{"name":"eu","egressProxyUrl":"http://203.0.113.9/relay"}]',
			"REGIONS.0.egressProxyUrl",
			"must be https:",
		],
		[
			"a proxy URL that is no URL",
			'[{"name":"eu","egressProxyUrl":"egress.example.com"}]',
			"REGIONS.0.egressProxyUrl",
			"an absolute URL",
		],
	])("refuses REGIONS with %s: a 503 on every route naming %s", async (_what, value, path, reason) => {
		for (const route of ["/healthz", "/v1/sender-ips", "/v1/webhooks"]) {
			const { status, body } = await settingsAnswer(route, { REGIONS: value });
			expect(status).toBe(503);
			expect(body.errors?.map((e) => e.path)).toEqual([path]);
			expect(body.errors?.[0]?.message).toContain(reason);
			expect(body.detail).toContain(path);
		}
	});

	it("refuses REGIONS together with the first version's EGRESS_PROXY_URL or SENDER_IPS, naming REGIONS", async () => {
		for (const legacy of [{ SENDER_IPS: "203.0.113.10" }, { EGRESS_PROXY_URL: "https://egress.example.com/relay" }]) {
			const { status, body } = await settingsAnswer("/v1/sender-ips", { ...legacy, EGRESS_PROXY_SECRET: "s" });
			expect(status).toBe(503);
			expect(body.errors?.map((e) => e.path)).toEqual(["REGIONS"]);
		}
	});

	it("answers 503 naming the region's secret when its proxy has none, and only where a secret is needed", async () => {
		const settings = { REGIONS: JSON.stringify(REGIONS), EGRESS_PROXY_SECRET_EU: "eu-only" };
		const res = await app.request(
			"/v1/webhooks",
			{ headers: { authorization: "Bearer test-admin-token" } },
			{
				...env,
				...settings,
			},
		);
		expect(res.status).toBe(503);
		expect(((await res.json()) as Problem).detail).toContain("EGRESS_PROXY_SECRET_US_EAST");
		// The public list still answers.
		expect((await settingsAnswer("/v1/sender-ips", settings)).status).toBe(200);
	});
});

describe("the region of tenants and webhooks", () => {
	it("refuses a tenant region while the deployment names none, with a 400 naming region", async () => {
		const res = await app.request(
			"/v1/tenants",
			{
				method: "POST",
				headers: { authorization: "Bearer test-admin-token", "content-type": "application/json" },
				body: JSON.stringify({ name: "R", region: "eu" }),
			},
			{ ...env, REGIONS: "" },
		);
		expect(res.status).toBe(400);
		expect(((await res.json()) as Problem).errors?.map((e) => e.path)).toContain("region");
	});

	it("shows a webhook's own region, or its tenant's when it has none, and follows a change of the tenant's", async () => {
		const tenant = await createTenant({ region: "us" });
		const base = `/v1/tenants/${tenant.id}`;
		const inherits = (await createWebhook({}, { base })) as unknown as WebhookJson;
		expect(inherits).toMatchObject({ region: "us", regionInherited: true });
		const own = (await createWebhook({ region: "eu" }, { base })) as unknown as WebhookJson;
		expect(own).toMatchObject({ region: "eu", regionInherited: false });

		expect((await api(base, { method: "PATCH", body: { region: "eu" } })).status).toBe(200);
		const read = async (id: string) => (await (await api(`${base}/webhooks/${id}`)).json()) as WebhookJson;
		expect(await read(inherits.id)).toMatchObject({ region: "eu", regionInherited: true });
		const listed = (await (await api(`${base}/webhooks?health=false`)).json()) as { data: WebhookJson[] };
		expect(listed.data.map((w) => [w.id, w.region]).sort()).toEqual(
			[
				[inherits.id, "eu"],
				[own.id, "eu"],
			].sort(),
		);

		// A change of another field keeps the region as it was: inherited stays inherited.
		const renamed = await api(`${base}/webhooks/${inherits.id}`, { method: "PATCH", body: { name: "renamed" } });
		expect(await renamed.json()).toMatchObject({ region: "eu", regionInherited: true });
		expect((await api(base, { method: "PATCH", body: { region: "us" } })).status).toBe(200);
		expect(await read(inherits.id)).toMatchObject({ region: "us", regionInherited: true });

		// Its own region, then back to its tenant's.
		const set = await api(`${base}/webhooks/${inherits.id}`, { method: "PATCH", body: { region: "eu" } });
		expect(await set.json()).toMatchObject({ region: "eu", regionInherited: false });
		const unset = await api(`${base}/webhooks/${inherits.id}`, { method: "PATCH", body: { region: null } });
		expect(await unset.json()).toMatchObject({ region: "us", regionInherited: true });
	});

	it("refuses a webhook region that is not configured with a 400 naming region, and keeps what was stored", async () => {
		const created = await api("/v1/webhooks", {
			method: "POST",
			body: { name: "r", eventTypes: ["*"], url: `${env.RECEIVER_URL}/ok/${uniqueTag("r")}`, region: "ap" },
		});
		expect(created.status).toBe(400);
		expect(((await created.json()) as Problem).errors?.map((e) => e.path)).toEqual(["region"]);
		const hook = await createWebhook({ region: "us" });
		for (const region of ["ap", "", 7]) {
			const res = await api(`/v1/webhooks/${hook.id}`, { method: "PATCH", body: { region } });
			expect(res.status).toBe(400);
			expect(((await res.json()) as Problem).errors?.map((e) => e.path)).toEqual(["region"]);
		}
		expect(await (await api(`/v1/webhooks/${hook.id}`)).json()).toMatchObject({ region: "us", regionInherited: false });
	});
});

describe("deliveries by region", () => {
	type Attempt = { errorKind: string | null; error: string | null; statusCode: number | null };
	const attemptsOf = async (tenantId: string, id: string) =>
		((await (await api(`/v1/tenants/${tenantId}/notifications/${id}`)).json()) as { attempts: Attempt[] }).attempts;

	/** One notification of `hook` delivered once by the consumer; what it decided and whether the receiver got it. */
	const deliverOnce = async (tenantId: string, hook: { id: string }, tag: string) => {
		const { id } = await seedNotification(hook.id, { tenantId });
		const decision = await deliver(await historyOf(tenantId), id);
		return { id, decision, arrived: (await received(tag)).length };
	};

	it("sends from the tenant's region, never directly or through another region when that region's proxy is down", async () => {
		const tenant = await createTenant({ region: "us" });
		const tag = uniqueTag("region-us");
		const hook = await createWebhook({ url: `${env.RECEIVER_URL}/ok/${tag}` }, { base: `/v1/tenants/${tenant.id}` });
		const { id, decision, arrived } = await deliverOnce(tenant.id, hook, tag);
		// The attempt failed as the proxy's, and comes again under the retry policy.
		expect(decision).toMatchObject({ ack: false });
		expect(arrived).toBe(0);
		const [attempt] = await attemptsOf(tenant.id, id);
		expect(attempt).toMatchObject({ errorKind: "proxy", statusCode: null });
		expect(attempt?.error).toContain("region us");
	});

	it("sends from the webhook's own region over its tenant's, and from the tenant's new region after a change", async () => {
		const tenant = await createTenant({ region: "us" });
		const base = `/v1/tenants/${tenant.id}`;
		const ownTag = uniqueTag("region-own");
		const own = await createWebhook({ url: `${env.RECEIVER_URL}/ok/${ownTag}`, region: "eu" }, { base });
		const first = await deliverOnce(tenant.id, own, ownTag);
		expect(first.decision).toEqual({ ack: true });
		expect(first.arrived).toBe(1);

		// An `eu` tenant's webhook that names `us` goes through us's proxy, which is down.
		const euTenant = await createTenant();
		const pinnedTag = uniqueTag("region-pinned");
		const pinned = await createWebhook(
			{ url: `${env.RECEIVER_URL}/ok/${pinnedTag}`, region: "us" },
			{ base: `/v1/tenants/${euTenant.id}` },
		);
		const second = await deliverOnce(euTenant.id, pinned, pinnedTag);
		expect(second.arrived).toBe(0);
		expect((await attemptsOf(euTenant.id, second.id))[0]).toMatchObject({ errorKind: "proxy" });

		// The tenant moves to `eu`: its inheriting webhook's next delivery goes from there.
		const movingTag = uniqueTag("region-moving");
		const moving = await createWebhook({ url: `${env.RECEIVER_URL}/ok/${movingTag}` }, { base });
		const before = await deliverOnce(tenant.id, moving, movingTag);
		expect(before.arrived).toBe(0);
		expect((await api(base, { method: "PATCH", body: { region: "eu" } })).status).toBe(200);
		const after = await deliverOnce(tenant.id, moving, movingTag);
		expect(after.decision).toEqual({ ack: true });
		expect(after.arrived).toBe(1);
	});
});
