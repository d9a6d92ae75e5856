// The admin console in a real browser: Chromium (test/support/browser.ts) driven by
// playwright-core, against `wrangler dev` as `npm start` runs it and a real
// receiver on 127.0.0.1. An operator signs in, creates a webhook with a
// template, sends a test event and sees it delivered, finds a failed delivery,
// sees why, and re-sends it; XSS and CSRF attempts fail; an alerts webhook made
// in one step gets Hookline's own events, which the history lists. Then tenants, the
// tenant picker and API keys: a webhook made under a picked tenant shows only
// there, a key's secret shows once and stops working when revoked, and a tenant
// is deleted. Screenshots of the main pages go to .artifacts/screenshots/
// (git-ignored).
import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HooklineApi, hooklineApi } from "../support/api.ts";
import { launchChromium } from "../support/browser.ts";
import { type LocalHookline, startHookline } from "../support/local-hookline.ts";
import { type Receiver, startReceiver } from "../support/receiver.ts";

const shots = join(import.meta.dirname, "..", "..", ".artifacts", "screenshots");

let hookline: LocalHookline;
let receiver: Receiver;
let hooklineCalls: HooklineApi;
let browser: Browser;
let page: Page;
/** A page on another origin, for the CSRF attempt. */
let attacker: Server;
let attackerUrl = "";
let attackTarget = "";

beforeAll(async () => {
	mkdirSync(shots, { recursive: true });
	receiver = await startReceiver();
	hookline = await startHookline();
	hooklineCalls = hooklineApi(hookline);
	attacker = createServer((_req, res) => {
		res.setHeader("content-type", "text/html");
		res.end(
			`<form id="f" method="post" action="${attackTarget}"><input name="confirm" value="on"></form><p>attack</p>`,
		);
	});
	await new Promise<void>((ready) => attacker.listen(0, "127.0.0.1", ready));
	attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`;
	browser = await launchChromium();
	page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});

afterAll(async () => {
	await browser?.close();
	await hookline?.stop();
	await receiver?.close();
	attacker?.closeAllConnections();
	await new Promise((closed) => attacker?.close(closed));
});

/** The API beside the browser: arranges what a page shows, and checks what a page did. */
const api = (method: string, path: string, body?: unknown) => hooklineCalls.json(method, path, body);

const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

/** Reloads until a status badge reading `text` shows (the queue delivers in the background). */
const reloadUntil = async (text: string, timeoutMs = 30_000) => {
	const until = Date.now() + timeoutMs;
	while (Date.now() < until) {
		if ((await page.locator(".badge", { hasText: text }).count()) > 0) return;
		await page.waitForTimeout(300);
		await page.reload();
	}
	throw new Error(`"${text}" did not show on ${page.url()} within ${timeoutMs} ms`);
};

describe("admin console in a browser", () => {
	it("asks for sign-in, refuses a wrong token, and signs in with the admin token", async () => {
		await page.goto(`${hookline.url}/console`);
		expect(new URL(page.url()).pathname).toBe("/console/login");
		const csp = (await page.request.get(`${hookline.url}/console/login`)).headers()["content-security-policy"];
		expect(csp).toContain("default-src 'none'");
		expect(csp).toContain("script-src 'self'");
		expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
		await shot("login");
		await page.fill("#token", "not-the-token");
		await page.click("button[type=submit]");
		await expect(page.locator(".alert.bad").innerText()).resolves.toContain("not an admin token");
		await page.fill("#token", hookline.adminToken);
		await page.click("button[type=submit]");
		expect(new URL(page.url()).pathname).toBe("/console/webhooks");
		const cookie = (await page.context().cookies()).find((c) => c.name === "hookline_session");
		expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/console" });
		expect(cookie?.expires).toBeGreaterThan(Date.now() / 1000);
	});

	it("creates a webhook with a template, previews it, shows the secret once, and delivers a test event", async () => {
		await page.goto(`${hookline.url}/console/webhooks/new`);
		await page.fill("#name", "Orders to ACME");
		await page.fill("#eventTypes", "order.created");
		await page.fill("#url", `${receiver.url}/ok/console/{{event.type}}`);
		await page.fill("#payloadTemplate", '{"order": "{{data.id}}", "total": {{#json}}data.total{{/json}}}');
		await page.fill("#headers", "X-Tenant: acme");
		// A field the API refuses shows its error inline, and nothing is created.
		await page.fill("#timeoutMs", "10");
		await page.getByRole("button", { name: "Create" }).click();
		await expect(page.locator(".error").first().innerText()).resolves.toMatch(/1000/);
		await page.fill("#timeoutMs", "5000");
		// The live preview follows the form as it is typed, without a click.
		await page.fill("#sample", '{"type": "order.created", "data": {"id": "O-1", "total": 12.5}}');
		await page.locator("#preview-live pre", { hasText: '"O-1"' }).waitFor({ timeout: 10_000 });
		await page.fill("#payloadTemplate", '{"order": "{{data.id}}", "total": {{#json}}data.total{{/json}}}');
		await page.locator("#preview-live pre", { hasText: '"total": 12.5' }).waitFor({ timeout: 10_000 });
		// A broken template shows its error live too.
		await page.fill("#payloadTemplate", '{"order": "{{data.id}"}');
		await page.locator("#preview-live .alert.bad").waitFor({ timeout: 10_000 });
		await page.fill("#payloadTemplate", '{"order": "{{data.id}}", "total": {{#json}}data.total{{/json}}}');
		// Without script, the button gives the same preview on a full page.
		await page.getByRole("button", { name: "Preview request" }).click();
		const preview = await page.locator("#preview pre").innerText();
		expect(preview).toContain(`POST ${receiver.url}/ok/console/order.created`);
		expect(preview).toContain('{"order": "O-1", "total": 12.5}');
		expect(preview).toContain("x-tenant: acme");
		await shot("webhook-preview");
		await page.getByRole("button", { name: "Create" }).click();
		const secret = await page.locator("#secret").innerText();
		expect(secret).toMatch(/^whsec_/);
		await page.click("text=Continue to the webhook");
		expect(await page.locator("body").innerText()).not.toContain(secret);
		await page.getByRole("button", { name: "Send test event" }).click();
		await expect(page.locator(".alert.good").innerText()).resolves.toContain("Test event sent");
		await page.click("text=History");
		await reloadUntil("delivered");
		await shot("history");
		const arrived = receiver.received.filter((r) => r.tag === "console/webhook.test");
		expect(arrived).toHaveLength(1);
		await page.goto(`${hookline.url}/console/webhooks`);
		await expect(page.locator("table").innerText()).resolves.toContain("Orders to ACME");
		await shot("webhooks");
	});

	it("finds a failed delivery, shows why, and re-sends it from the UI until it is delivered", async () => {
		const webhook = await api("POST", "/v1/webhooks", {
			name: "Flaky receiver",
			eventTypes: ["order.failed"],
			url: `${receiver.url}/flaky/1/console-flaky`,
			retryPolicy: { delaysSeconds: [] },
		});
		await api("POST", "/v1/events", { type: "order.failed", data: { id: "O-2" } });
		await page.goto(`${hookline.url}/console/notifications?webhookId=${webhook.id}&status=failed`);
		await reloadUntil("failed");
		await page.click("table tbody tr a");
		await expect(page.locator("#attempts").innerText()).resolves.toContain("HTTP 500");
		await expect(page.locator("#request").innerText()).resolves.toContain('"id": "O-2"');
		await shot("notification-failed");
		await page.getByRole("button", { name: "Re-send", exact: true }).click();
		await expect(page.locator(".alert.good").innerText()).resolves.toContain("Re-sent");
		await reloadUntil("delivered");
		await expect(page.locator("#attempts").innerText()).resolves.toContain("HTTP 200");
		await shot("notification-delivered");
		expect(receiver.received.filter((r) => r.tag === "console-flaky").map((r) => r.status)).toEqual([500, 200]);
	});

	it("bulk re-sends the failed notifications of a filter after stating how many", async () => {
		const webhook = await api("POST", "/v1/webhooks", {
			name: "Bulk",
			eventTypes: ["order.bulk"],
			url: `${receiver.url}/flaky/1/console-bulk`,
			retryPolicy: { delaysSeconds: [] },
		});
		await api("POST", "/v1/events", { type: "order.bulk", data: {} });
		await page.goto(`${hookline.url}/console/notifications?webhookId=${webhook.id}&status=failed`);
		await reloadUntil("failed");
		await page.click("text=Re-send the failed ones of this filter");
		await expect(page.locator("#resend-count").innerText()).resolves.toContain("Re-send 1 failed notification");
		await page.click("button:has-text('Re-send 1')");
		await expect(page.locator(".alert.good").innerText()).resolves.toContain("1 re-sent");
		await page.goto(`${hookline.url}/console/notifications?webhookId=${webhook.id}`);
		await reloadUntil("delivered");
	});

	it("shows event data and webhook names as text: a <script> does not run", async () => {
		const xss = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';
		const webhook = await api("POST", "/v1/webhooks", {
			name: xss,
			eventTypes: ["order.xss"],
			url: `${receiver.url}/ok/console-xss`,
		});
		await api("POST", "/v1/events", { type: "order.xss", data: { note: xss } });
		await page.goto(`${hookline.url}/console/webhooks`);
		await expect(page.locator("table").innerText()).resolves.toContain("<script>window.__pwned = 1</script>");
		await page.goto(`${hookline.url}/console/notifications?webhookId=${webhook.id}`);
		await reloadUntil("delivered");
		await page.click("table tbody tr a");
		await expect(page.locator("#request").innerText()).resolves.toContain("<script>window.__pwned = 1</script>");
		expect(await page.evaluate("window.__pwned")).toBeUndefined();
	});

	it("refuses a cross-site form post and a post without the CSRF token; the webhook stays", async () => {
		const webhook = await api("POST", "/v1/webhooks", {
			name: "Target of CSRF",
			eventTypes: ["order.csrf"],
			url: `${receiver.url}/ok/console-csrf`,
		});
		attackTarget = `${hookline.url}/console/webhooks/${webhook.id}/delete`;
		await page.goto(attackerUrl);
		// The form's navigation commits (and loads the refusal page) before the test moves on.
		const [answer] = await Promise.all([
			page.waitForResponse((r) => r.url() === attackTarget),
			page.waitForURL(attackTarget),
			page.evaluate("document.getElementById('f').submit()"),
		]);
		expect(answer.status()).toBe(403);
		// Same origin, signed in, but without the form's token.
		const forged = await page.request.post(attackTarget, {
			form: { confirm: "on" },
			headers: { origin: hookline.url },
		});
		expect(forged.status()).toBe(403);
		expect((await api("GET", `/v1/webhooks/${webhook.id}`)).id).toBe(webhook.id);
	});

	it("creates an alerts webhook in one step; Hookline's own events reach it and show in the history", async () => {
		await page.goto(`${hookline.url}/console/webhooks`);
		// A URL the API refuses: its error under the field, and nothing is created.
		await page.fill("#alerts-url", "ftp://example.com/alerts");
		await page.getByRole("button", { name: "Create alerts webhook" }).click();
		await expect(page.locator("#alerts .error").innerText()).resolves.toMatch(/\S/);
		await page.fill("#alerts-url", `${receiver.url}/ok/console-alerts`);
		await page.getByRole("button", { name: "Create alerts webhook" }).click();
		await expect(page.locator("#secret").innerText()).resolves.toMatch(/^whsec_/);
		await page.click("text=Continue to the webhook");
		const alertsId = new URL(page.url()).pathname.split("/").pop();
		expect(await api("GET", `/v1/webhooks/${alertsId}`)).toMatchObject({
			name: "Hookline alerts",
			eventTypes: ["hookline.*"],
			enabled: true,
		});
		const hooks = (await api("GET", "/v1/webhooks?limit=200&health=false")).data ?? [];
		expect(hooks.filter((w) => w.name === "Hookline alerts")).toHaveLength(1);

		// An operational event: a webhook disabled from its page.
		const watched = await api("POST", "/v1/webhooks", {
			name: "Watched",
			eventTypes: ["order.watched"],
			url: `${receiver.url}/ok/console-watched`,
		});
		await page.goto(`${hookline.url}/console/webhooks/${watched.id}`);
		await page.getByRole("button", { name: "Disable" }).click();
		await expect(page.locator(".alert.good").innerText()).resolves.toContain("Disabled.");
		const alert = await hooklineCalls.poll("the alert reaches the alerts webhook", async () =>
			receiver.received
				.filter((r) => r.tag === "console-alerts")
				.map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> })
				.find((e) => e.type === "hookline.webhook.disabled"),
		);
		expect(alert.data).toMatchObject({ webhook: { id: watched.id, name: "Watched" }, reason: "api" });

		// The history lists it like any notification, marked as Hookline's, with a word on what these are.
		await page.goto(`${hookline.url}/console/notifications?eventType=hookline.webhook.disabled`);
		await reloadUntil("delivered");
		await expect(page.locator("table tbody").innerText()).resolves.toContain("hookline.webhook.disabled");
		expect(await page.locator("table tbody .badge", { hasText: "Hookline" }).count()).toBe(1);
		await expect(page.locator("#operational-note").innerText()).resolves.toContain("operational events");
		// The event-type filter suggests Hookline's types.
		const suggested = await page
			.locator("#event-types option")
			.evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value));
		expect(suggested).toContain("hookline.notification.failed");
		await shot("alerts-history");
	});

	describe("tenants, the picker and keys", () => {
		const tenantId = `e2e-bank-${Date.now().toString(36)}`;
		const picker = () => page.locator("#picker-tenant");
		const pick = async (id: string) => {
			await picker().selectOption(id);
			await page.getByRole("button", { name: "Switch" }).click();
		};

		it("creates a tenant, picks it, and a webhook made there is listed only under that tenant", async () => {
			await page.goto(`${hookline.url}/console/webhooks`);
			await expect(picker().inputValue()).resolves.toBe("default");
			await page.getByRole("link", { name: "Tenants" }).click();
			await page.fill("#id", tenantId);
			await page.fill("#name", "E2E Bank");
			await page.getByRole("button", { name: "Create tenant" }).click();
			await expect(page.locator(".alert.good").innerText()).resolves.toContain("Tenant created.");
			await shot("tenants");
			// Selecting the tenant in the list picks it; the choice lives in the address and survives navigation.
			await page.locator("#tenants").getByRole("link", { name: tenantId, exact: true }).click();
			await page.waitForURL(`${hookline.url}/console/tenants/${tenantId}/webhooks`);
			await expect(picker().inputValue()).resolves.toBe(tenantId);
			await page.getByRole("link", { name: "History" }).click();
			await page.waitForURL(`${hookline.url}/console/tenants/${tenantId}/notifications`);
			await expect(picker().inputValue()).resolves.toBe(tenantId);
			// The picker switches to the same page of another tenant, and back.
			await pick("default");
			await page.waitForURL(`${hookline.url}/console/notifications`);
			await pick(tenantId);
			await page.waitForURL(`${hookline.url}/console/tenants/${tenantId}/notifications`);

			await page.getByRole("link", { name: "Webhooks" }).click();
			await page.getByRole("link", { name: "New webhook" }).click();
			await page.fill("#name", "Bank-only hook");
			await page.fill("#eventTypes", "loan.created");
			await page.fill("#url", `${receiver.url}/ok/console-tenant`);
			await page.getByRole("button", { name: "Create" }).click();
			await expect(page.locator("#secret").innerText()).resolves.toMatch(/^whsec_/);
			await page.click("text=Continue to the webhook");
			await page.getByRole("button", { name: "Send test event" }).click();
			await expect(page.locator(".alert.good").innerText()).resolves.toContain("Test event sent");
			expect(new URL(page.url()).pathname).toMatch(new RegExp(`^/console/tenants/${tenantId}/webhooks/wh_`));
			await page.locator("main").getByRole("link", { name: "History" }).click();
			await reloadUntil("delivered");
			expect(receiver.received.filter((r) => r.tag === "console-tenant")).toHaveLength(1);

			await page.getByRole("link", { name: "Webhooks" }).click();
			await expect(page.locator("table").innerText()).resolves.toContain("Bank-only hook");
			const own = await api("GET", `/v1/tenants/${tenantId}/webhooks`);
			expect(own.data?.map((w) => w.name)).toEqual(["Bank-only hook"]);
			await pick("default");
			await page.waitForURL(`${hookline.url}/console/webhooks`);
			await expect(page.locator("table").innerText()).resolves.not.toContain("Bank-only hook");
			const defaults = await api("GET", "/v1/webhooks?limit=200");
			expect(defaults.data?.map((w) => w.name)).not.toContain("Bank-only hook");
		});

		it("creates a key, shows its secret once, revokes it, and the API then refuses the secret", async () => {
			await page.goto(`${hookline.url}/console/tenants/${tenantId}/keys`);
			await expect(picker().inputValue()).resolves.toBe(tenantId);
			await page.fill("#name", "E2E reader");
			await page.check("input[name=scopes][value=read]");
			await page.check("input[name=owner][value=tenant]");
			await page.getByRole("button", { name: "Create key" }).click();
			const secret = await page.locator("#secret").innerText();
			expect(secret).toMatch(/^hk_/);
			await shot("key-created");
			const bearer = { token: secret };
			expect((await hooklineCalls.call("GET", `/v1/tenants/${tenantId}/webhooks`, undefined, bearer)).status).toBe(200);

			await page.click("text=Continue to the keys");
			const row = page.locator("#tenant-keys tr", { hasText: "E2E reader" });
			const prefix = await row.locator("code").innerText();
			expect(secret.startsWith(prefix)).toBe(true);
			await page.reload();
			await expect(row.innerText()).resolves.toContain(prefix);
			expect(await page.locator("body").innerText()).not.toContain(secret);
			await shot("keys");

			await row.getByRole("button", { name: "Revoke" }).click();
			await expect(page.locator(".alert.good").innerText()).resolves.toContain("Key revoked");
			expect(await page.locator("#tenant-keys").innerText()).not.toContain("E2E reader");
			// Revocation reaches every isolate within 10 seconds.
			await hooklineCalls.poll(
				"the revoked key is refused",
				async () => {
					const { status } = await hooklineCalls.call("GET", `/v1/tenants/${tenantId}/webhooks`, undefined, bearer);
					return status === 401 ? status : undefined;
				},
				15_000,
			);
		});

		it("deletes a tenant after confirmation, and shows why `default` cannot be deleted", async () => {
			await page.goto(`${hookline.url}/console/tenants`);
			await page.locator('#tenants tr:has(a[href="/console/webhooks"])').getByRole("link", { name: "Delete…" }).click();
			await page.check("input[name=confirm]");
			await page.getByRole("button", { name: "Delete" }).click();
			await expect(page.locator(".alert.bad").innerText()).resolves.toContain("default tenant always exists");

			await page.locator("#tenants tr", { hasText: tenantId }).getByRole("link", { name: "Delete…" }).click();
			await page.check("input[name=confirm]");
			await page.getByRole("button", { name: "Delete" }).click();
			await expect(page.locator(".alert.good").innerText()).resolves.toContain("Tenant deleted");
			expect(await page.locator("#tenants").innerText()).not.toContain(tenantId);
			expect((await hooklineCalls.call("GET", `/v1/tenants/${tenantId}`)).status).toBe(404);
			const gone = await page.goto(`${hookline.url}/console/tenants/${tenantId}/webhooks`);
			expect(gone?.status()).toBe(404);
			await expect(page.locator("main").innerText()).resolves.toContain("does not exist, or it was deleted");
		});
	});

	it("shows the sender IPs, and signs out", async () => {
		await page.goto(`${hookline.url}/console/sender-ips`);
		await expect(page.locator("#sender-ips").innerText()).resolves.toContain("127.0.0.2");
		await shot("sender-ips");
		await page.setViewportSize({ width: 390, height: 844 });
		await page.goto(`${hookline.url}/console/webhooks`);
		await shot("webhooks-phone");
		await page.setViewportSize({ width: 1280, height: 900 });
		await page.getByRole("button", { name: "Sign out" }).click();
		expect(new URL(page.url()).pathname).toBe("/console/login");
		await page.goto(`${hookline.url}/console/webhooks`);
		expect(new URL(page.url()).pathname).toBe("/console/login");
	});
});
