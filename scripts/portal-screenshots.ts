// `node scripts/portal-screenshots.ts`: the screenshots of the tenant portal in
// docs/portal.md. Starts Hookline as `npm start` does (its own port and state),
// a receiver and a stand-in platform page, gives a tenant a little history
// (a delivery that failed once and then succeeded, a delivered one, a disabled
// webhook), opens a portal link in Chromium and saves the main pages as PNG to
// docs/images/ (or the folder given as the first argument).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { hooklineApi } from "../test/support/api.ts";
import { launchChromium } from "../test/support/browser.ts";
import { startHookline } from "../test/support/local-hookline.ts";
import { startPlatformPage } from "../test/support/platform-page.ts";
import { startReceiver } from "../test/support/receiver.ts";

const out = process.argv[2] ?? join(import.meta.dirname, "..", "docs", "images");
mkdirSync(out, { recursive: true });

const receiver = await startReceiver();
const hookline = await startHookline();
const platform = await startPlatformPage();
const browser = await launchChromium();
try {
	const calls = hooklineApi(hookline);
	const api = (method: string, path: string, body?: unknown) => calls.json(method, path, body);
	const tenant = `acme-bank-${Date.now().toString(36)}`;
	const t = `/v1/tenants/${tenant}`;
	await api("POST", "/v1/tenants", { id: tenant, name: "Acme Bank", portalOrigins: [platform.origin] });
	const core = await api("POST", `${t}/webhooks`, {
		name: "Loan events to the core system",
		eventTypes: ["loan.*"],
		url: `${receiver.url}/flaky/1/acme-core/{{event.type}}`,
		payloadTemplate: '{"loan": "{{data.loanId}}", "amount": {{#json}}data.amount{{/json}}}',
		retryPolicy: { delaysSeconds: [1] },
	});
	await api("POST", `${t}/webhooks`, {
		name: "Payments ledger",
		eventTypes: ["payment.settled"],
		url: `${receiver.url}/ok/acme-ledger`,
	});
	const old = await api("POST", `${t}/webhooks`, {
		name: "Card alerts (old)",
		eventTypes: ["card.*"],
		url: `${receiver.url}/ok/acme-cards`,
	});
	await api("PATCH", `${t}/webhooks/${old.id}`, { enabled: false });
	const loan = await api("POST", `${t}/events`, { type: "loan.created", data: { loanId: "L-1001", amount: 25000 } });
	await api("POST", `${t}/events`, { type: "payment.settled", data: { paymentId: "P-77", amount: 120.5 } });
	const notification = await calls.poll("the loan's notification is delivered on its second attempt", async () => {
		const list = await api("GET", `${t}/notifications?eventId=${loan.id}&status=delivered`);
		return list.data?.[0]?.id as string | undefined;
	});
	await calls.poll("the payment is delivered", async () => {
		const list = await api("GET", `${t}/notifications?eventType=payment.settled&status=delivered`);
		return list.data?.length ? true : undefined;
	});

	const link = await api("POST", `${t}/portal-links`, { expiresInSeconds: 3600 });
	const context = await browser.newContext({ viewport: { width: 1200, height: 760 } });
	const page = await context.newPage();
	const shot = (name: string) => page.screenshot({ path: join(out, `${name}.png`), fullPage: true });
	await page.goto(link.url as string);
	await shot("portal-webhooks");
	await page.getByRole("link", { name: "Loan events to the core system" }).click();
	await shot("portal-webhook");
	await page.goto(`${hookline.url}/portal/tenants/${tenant}/notifications`);
	await shot("portal-history");
	await page.goto(`${hookline.url}/portal/tenants/${tenant}/notifications/${notification}`);
	await shot("portal-notification");

	const readOnly = await api("POST", `${t}/portal-links`, { readOnly: true });
	await page.goto(readOnly.url as string);
	await page.goto(`${hookline.url}/portal/tenants/${tenant}/webhooks/${core.id}`);
	await page.setViewportSize({ width: 1200, height: 520 });
	await page.screenshot({ path: join(out, "portal-read-only.png") });

	// In the platform's page: the portal at localhost, the platform at 127.0.0.1 (two sites).
	const embedded = await browser.newContext({ viewport: { width: 1200, height: 560 } });
	const framePage = await embedded.newPage();
	const framed = await api("POST", `${t}/portal-links`, {});
	await framePage.goto(platform.embed((framed.url as string).replace("//127.0.0.1:", "//localhost:")));
	await framePage.frameLocator("#portal").locator("table").waitFor();
	await framePage.screenshot({ path: join(out, "portal-embedded.png") });
	console.log(`screenshots saved to ${out}`);
} finally {
	await browser.close();
	await platform.close();
	await hookline.stop();
	await receiver.close();
}
