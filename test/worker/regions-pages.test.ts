// The regions in the console and the portal: the Sender IPs page shows every
// region in the console, with the picked tenant's marked, and only its own
// region's addresses in a tenant's portal; the webhook form keeps a webhook
// that follows its tenant's region following it. (The tests' regions:
// vitest.config.ts; `eu` lists 203.0.113.7 and 198.51.100.9, `us` 192.0.2.44
// and 198.51.100.9.)
import { describe, expect, it } from "vitest";
import { fromForm, valuesOf } from "../../src/web/forms/webhook";
import type { Webhook } from "../../src/webhooks/schema";
import { get as consoleGet, csrfOf, signIn } from "./console-session";
import { api, createTenant, createWebhook } from "./helpers";
import { get, session } from "./portal-session";

/** The addresses a Sender IPs page lists, by the region section they are in. */
const regionsOn = (html: string) =>
	Object.fromEntries(
		[...html.matchAll(/<section class="card" data-region="([^"]+)">([\s\S]*?)<\/section>/g)].map(([, name, body]) => [
			name,
			{
				ips: [...(body ?? "").matchAll(/<code>([0-9a-f.:/]+)<\/code>/g)].map((m) => m[1]),
				mine: /this tenant/.test(body ?? ""),
			},
		]),
	);

describe("the Sender IPs page", () => {
	it("shows a portal session its own tenant's region alone", async () => {
		for (const [region, ips, others] of [
			["us", ["192.0.2.44", "198.51.100.9"], "203.0.113.7"],
			["eu", ["203.0.113.7", "198.51.100.9"], "192.0.2.44"],
		] as const) {
			const tenant = await createTenant({ region });
			const { cookie, base } = await session(tenant.id);
			const html = await (await get(`${base}/sender-ips`, cookie)).text();
			expect(regionsOn(html)).toEqual({ [region]: { ips, mine: false } });
			expect(html).not.toContain(others);
		}
	});

	it("shows the console every region, the picked tenant's marked", async () => {
		const tenant = await createTenant({ region: "us" });
		const { cookie } = await signIn();
		await csrfOf(cookie);
		const html = await (await consoleGet(`/console/tenants/${tenant.id}/sender-ips`, cookie)).text();
		expect(regionsOn(html)).toEqual({
			eu: { ips: ["203.0.113.7", "198.51.100.9"], mine: false },
			us: { ips: ["192.0.2.44", "198.51.100.9"], mine: true },
		});
	});
});

describe("the webhook form", () => {
	it("leaves the region empty for a webhook that follows its tenant's, and sends an empty one as null", async () => {
		const tenant = await createTenant({ region: "us" });
		const base = `/v1/tenants/${tenant.id}`;
		const inherits = await createWebhook({}, { base });
		const own = await createWebhook({ region: "eu" }, { base });
		const read = async (id: string) => (await (await api(`${base}/webhooks/${id}`)).json()) as Webhook;
		expect(valuesOf(await read(inherits.id)).region).toBeNull();
		expect(valuesOf(await read(own.id)).region).toBe("eu");
		expect(fromForm({ region: "  " }).region).toBeNull();
		expect(fromForm({ region: "us" }).region).toBe("us");
	});
});
