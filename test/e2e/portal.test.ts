// The tenant portal in a real browser: Chromium (test/support/browser.ts)
// driven by playwright-core, against `wrangler dev` as `npm start` runs it and
// a real receiver on 127.0.0.1. A link opens one tenant's portal, which shows
// and changes its webhooks and nothing of another tenant's; a read-only link
// changes nothing, also by a forged post; an expired link opens nothing and a
// session ends with its link; and the portal works in an iframe of an allowed
// platform origin (a third-party cookie: the portal at localhost, the platform
// page at 127.0.0.1) and is refused by frame-ancestors elsewhere.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HooklineApi, hooklineApi } from "../support/api.ts";
import { launchChromium } from "../support/browser.ts";
import { type LocalHookline, startHookline } from "../support/local-hookline.ts";
import { type PlatformPage, startPlatformPage } from "../support/platform-page.ts";
import { signPortalLink } from "../support/portal-link.ts";
import { type Receiver, startReceiver } from "../support/receiver.ts";

const shots = join(import.meta.dirname, "..", "..", ".artifacts", "screenshots");
/** The service's ENCRYPTION_KEY, so the test can sign links the API would not make (expired, or ending in seconds). */
const ENCRYPTION_KEY = Buffer.from("portal-e2e-key-of-thirty-two-by!").toString("base64");

type Tenant = { id: string; hook: string; hookName: string; notification: string };

let hookline: LocalHookline;
let receiver: Receiver;
let calls: HooklineApi;
let browser: Browser;
let platform: PlatformPage;
let elsewhere: PlatformPage;
let A: Tenant;
let B: Tenant;

const api = (method: string, path: string, body?: unknown) => calls.json(method, path, body);

/** A tenant with one webhook and one failed notification of it. */
const tenantWithHistory = async (label: string, portalOrigins: string[] = []): Promise<Tenant> => {
	const id = `${label}-${Date.now().toString(36)}`;
	await api("POST", "/v1/tenants", { id, name: `${label.toUpperCase()} Bank`, portalOrigins });
	const hookName = `${label} loans`;
	const hook = await api("POST", `/v1/tenants/${id}/webhooks`, {
		name: hookName,
		eventTypes: ["loan.created"],
		url: `${receiver.url}/status/500/portal-${id}`,
		retryPolicy: { delaysSeconds: [] },
	});
	const event = await api("POST", `/v1/tenants/${id}/events`, { type: "loan.created", data: { loanId: "L-1" } });
	const notification = await calls.poll(`${id}'s notification fails`, async () => {
		const list = await api("GET", `/v1/tenants/${id}/notifications?eventId=${event.id}&status=failed`);
		return list.data?.[0]?.id as string | undefined;
	});
	return { id, hook: hook.id as string, hookName, notification };
};

/** A portal link made through the API, as a platform would. */
const linkFor = async (tenantId: string, body: Record<string, unknown> = {}) => {
	const link = await api("POST", `/v1/tenants/${tenantId}/portal-links`, body);
	return link.url as string;
};

/** A fresh browser profile (cookies of its own) with one page. */
const fresh = async (): Promise<{ context: BrowserContext; page: Page }> => {
	const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
	return { context, page: await context.newPage() };
};

/** Reloads until `text` shows in the page's main part (the queue works in the background). */
const reloadUntil = async (page: Page, text: string, timeoutMs = 30_000) => {
	const until = Date.now() + timeoutMs;
	while (Date.now() < until) {
		if ((await page.locator(".badge", { hasText: text }).count()) > 0) return;
		await page.waitForTimeout(300);
		await page.reload();
	}
	throw new Error(`"${text}" did not show on ${page.url()} within ${timeoutMs} ms`);
};

beforeAll(async () => {
	mkdirSync(shots, { recursive: true });
	receiver = await startReceiver();
	hookline = await startHookline({ env: { ENCRYPTION_KEY } });
	calls = hooklineApi(hookline);
	[platform, elsewhere] = await Promise.all([startPlatformPage(), startPlatformPage()]);
	browser = await launchChromium();
	[A, B] = await Promise.all([tenantWithHistory("a", [platform.origin]), tenantWithHistory("b")]);
});

afterAll(async () => {
	await browser?.close();
	await hookline?.stop();
	await receiver?.close();
	await platform?.close();
	await elsewhere?.close();
});

describe("tenant portal in a browser", () => {
	it("opens the tenant's portal from a link: its webhooks, no tenants, keys or picker; it creates and tests a webhook", async () => {
		const { context, page } = await fresh();
		await page.goto(await linkFor(A.id));
		expect(new URL(page.url()).pathname).toBe(`/portal/tenants/${A.id}/webhooks`);
		await expect(page.locator("table").innerText()).resolves.toContain(A.hookName);
		await expect(page.locator("#portal-banner").innerText()).resolves.toContain("A Bank");
		expect(await page.locator("header nav a").allInnerTexts()).toEqual(["Webhooks", "History", "Sender IPs"]);
		expect(await page.locator("#picker-tenant").count()).toBe(0);
		const cookie = (await context.cookies()).find((c) => c.name === "hookline_portal");
		expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: "None", path: `/portal/tenants/${A.id}` });
		await page.screenshot({ path: join(shots, "portal-webhooks.png"), fullPage: true });

		await page.getByRole("link", { name: "New webhook" }).click();
		await page.fill("#name", "Made in the portal");
		await page.fill("#eventTypes", "loan.created");
		await page.fill("#url", `${receiver.url}/ok/portal-made`);
		// The live preview posts the form, with the session's CSRF token, to the portal's own address.
		await page.fill("#sample", '{"type": "loan.created", "data": {"loanId": "L-9"}}');
		await page.locator("#preview-live pre", { hasText: '"loanId":"L-9"' }).waitFor({ timeout: 10_000 });
		await page.getByRole("button", { name: "Create" }).click();
		await expect(page.locator("#secret").innerText()).resolves.toMatch(/^whsec_/);
		await page.click("text=Continue to the webhook");
		await page.getByRole("button", { name: "Send test event" }).click();
		await expect(page.locator(".alert.good").innerText()).resolves.toContain("Test event sent");
		await page.locator("main").getByRole("link", { name: "History" }).click();
		await reloadUntil(page, "delivered");
		expect(receiver.received.filter((r) => r.tag === "portal-made")).toHaveLength(1);
		const own = await api("GET", `/v1/tenants/${A.id}/webhooks`);
		expect(own.data?.map((w) => w.name)).toContain("Made in the portal");
		await context.close();
	});

	it("shows nothing of another tenant: its webhook and notification ids are 404, its pages need its own link", async () => {
		const { context, page } = await fresh();
		await page.goto(await linkFor(A.id));
		const base = `${hookline.url}/portal/tenants/${A.id}`;
		expect((await page.goto(`${base}/webhooks/${B.hook}`))?.status()).toBe(404);
		expect((await page.goto(`${base}/notifications/${B.notification}`))?.status()).toBe(404);
		expect((await page.goto(`${base}/notifications/${A.notification}`))?.status()).toBe(200);
		await page.goto(`${base}/notifications?webhookId=${B.hook}`);
		expect(await page.locator("main").innerText()).not.toContain(B.notification);
		const theirs = await page.goto(`${hookline.url}/portal/tenants/${B.id}/webhooks`);
		expect(theirs?.status()).toBe(401);
		expect(await page.locator("main").innerText()).not.toContain(B.hookName);
		await context.close();
	});

	it("changes nothing with a read-only link: no buttons, and the server refuses a forged post", async () => {
		const { context, page } = await fresh();
		await page.goto(await linkFor(A.id, { readOnly: true }));
		await expect(page.locator("#portal-banner").innerText()).resolves.toContain("read-only");
		expect(await page.getByRole("link", { name: "New webhook" }).count()).toBe(0);
		expect(await page.locator("#alerts").count()).toBe(0);
		await page.getByRole("link", { name: A.hookName }).click();
		expect(await page.getByRole("button").allInnerTexts()).toEqual(["End session"]);
		// Inside a disabled fieldset: shown, not editable.
		await expect(page.locator("#name").isDisabled()).resolves.toBe(true);
		await page.goto(`${hookline.url}/portal/tenants/${A.id}/notifications/${A.notification}`);
		expect(await page.getByRole("button", { name: "Re-send" }).count()).toBe(0);
		await page.screenshot({ path: join(shots, "portal-read-only.png"), fullPage: true });

		// The session's own token, from the page, on the portal's own origin: still refused.
		const _csrf = await page.locator("input[name=_csrf]").first().inputValue();
		const base = `${hookline.url}/portal/tenants/${A.id}`;
		for (const [path, form] of [
			[`/webhooks/${A.hook}/disable`, { _csrf }],
			[`/webhooks/${A.hook}/delete`, { _csrf, confirm: "on" }],
			[`/notifications/${A.notification}/resend`, { _csrf }],
		] as const) {
			const forged = await page.request.post(`${base}${path}`, { form, headers: { origin: hookline.url } });
			expect([path, forged.status()]).toEqual([path, 403]);
		}
		expect((await api("GET", `/v1/tenants/${A.id}/webhooks/${A.hook}`)).enabled).toBe(true);
		expect((await api("GET", `/v1/tenants/${A.id}/notifications/${A.notification}`)).status).toBe("failed");
		await context.close();
	});

	it("opens nothing with an expired link, and ends a session when its link expires", async () => {
		const { context, page } = await fresh();
		const expired = await signPortalLink(ENCRYPTION_KEY, {
			tenantId: A.id,
			readOnly: false,
			expiresAt: Date.now() - 1000,
		});
		const refused = await page.goto(`${hookline.url}${expired}`);
		expect(refused?.status()).toBe(403);
		await expect(page.locator("h1").innerText()).resolves.toBe("This link has expired");
		expect((await context.cookies()).filter((c) => c.name === "hookline_portal")).toEqual([]);

		// A link the API would not make (it ends in seconds), signed with the service's key.
		const expiresAt = (Math.floor(Date.now() / 1000) + 8) * 1000;
		const short = await signPortalLink(ENCRYPTION_KEY, { tenantId: A.id, readOnly: false, expiresAt });
		await page.goto(`${hookline.url}${short}`);
		await expect(page.locator("table").innerText()).resolves.toContain(A.hookName);
		// The session's end is observed, not waited for: reload until the page says it ended.
		const ended = await calls.poll(
			"the portal session ends with its link",
			async () => {
				const res = await page.reload();
				return res?.status() === 401 ? res : undefined;
			},
			30_000,
		);
		expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
		expect(ended.status()).toBe(401);
		await expect(page.locator("h1").innerText()).resolves.toBe("Your portal session has ended");
		expect(await page.locator("main").innerText()).not.toContain(A.hookName);
		await context.close();
	});

	it("works in an iframe of an allowed platform origin, with its third-party cookie", async () => {
		const { context, page } = await fresh();
		// The portal at localhost, the platform at 127.0.0.1: two sites, so the cookie is third-party.
		const link = (await linkFor(A.id)).replace("//127.0.0.1:", "//localhost:");
		await page.goto(platform.embed(link));
		const frame = page.frameLocator("#portal");
		await expect(frame.locator("table").innerText()).resolves.toContain(A.hookName);
		const cookie = (await context.cookies()).find((c) => c.name === "hookline_portal");
		expect(cookie).toMatchObject({ sameSite: "None", secure: true, httpOnly: true, domain: "localhost" });
		// Partitioned (CHIPS) by the platform's site: kept for the portal inside this platform alone.
		expect(cookie?.partitionKey).toBe("http://127.0.0.1");
		await page.screenshot({ path: join(shots, "portal-embedded.png") });

		// Navigation and a form post inside the frame carry the cookie and the CSRF token.
		await frame.getByRole("link", { name: A.hookName }).click();
		await frame.getByRole("button", { name: "Send test event" }).click();
		await expect(frame.locator(".alert.good").innerText()).resolves.toContain("Test event sent");
		// Opened top-level, the portal is another partition: the session started in the frame is not there.
		const portalTab = await context.newPage();
		const alone = await portalTab.goto(new URL(`/portal/tenants/${A.id}/webhooks`, link).href);
		expect(alone?.status()).toBe(401);
		await context.close();
	});

	it("is refused in an iframe of any other origin (frame-ancestors)", async () => {
		const { context, page } = await fresh();
		const link = (await linkFor(A.id)).replace("//127.0.0.1:", "//localhost:");
		// Chromium reports the refusal on the embedding page's console when it blocks the frame.
		const refusal = page.waitForEvent("console", {
			predicate: (message) => message.text().includes("frame-ancestors"),
			timeout: 15_000,
		});
		const [framed] = await Promise.all([
			page.waitForResponse((r) => r.url().includes(`/portal/tenants/${A.id}/webhooks`)),
			page.goto(elsewhere.embed(link)),
		]);
		const csp = (await framed.allHeaders())["content-security-policy"] ?? "";
		expect(csp).toContain(`frame-ancestors 'self' ${platform.origin}`);
		expect(csp).not.toContain(elsewhere.origin);
		expect((await refusal).text().trim()).toBe(
			`Framing '${new URL(link).origin}/' violates the following Content Security Policy directive: "frame-ancestors 'self' ${platform.origin}". The request has been blocked.`,
		);
		expect(await page.frameLocator("#portal").locator("table").count()).toBe(0);
		await context.close();
	});
});
