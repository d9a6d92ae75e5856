// The console's sign-in, session and form protection, inside workerd. The
// pages themselves are driven in a real browser by test/e2e/console.test.ts.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { apiClient } from "../../src/web/api-client";
import { CONSOLE_MAX_BODY_BYTES } from "../../src/web/app";
import { operatorClient } from "../../src/web/operator-client";
import { form, get, post, signIn } from "./console-session";

describe("console sign-in and session", () => {
	it("sends a visitor without a session to the sign-in page", async () => {
		const res = await get("/console/webhooks", "");
		expect(res.status).toBe(303);
		expect(res.headers.get("location")).toBe("/console/login");
	});

	it("refuses a wrong token, and exchanges the admin token for a signed HttpOnly SameSite=Strict cookie", async () => {
		expect((await signIn("nope")).res.status).toBe(401);
		expect((await signIn("test-ingest-token")).res.status).toBe(401);
		const { res } = await signIn();
		expect(res.status).toBe(303);
		const setCookie = res.headers.get("set-cookie") ?? "";
		expect(setCookie).toMatch(/^hookline_session=/);
		expect(setCookie).toMatch(/HttpOnly/);
		expect(setCookie).toMatch(/SameSite=Strict/);
		expect(setCookie).toMatch(/Path=\/console/);
		expect(setCookie).toMatch(/Max-Age=28800/);
		// Not https here, so not Secure; over https it is.
		expect(setCookie).not.toMatch(/Secure/);
	});

	it("serves pages with a session, a strict Content-Security-Policy and no framing", async () => {
		const { cookie } = await signIn();
		const res = await get("/console/sender-ips", cookie);
		expect(res.status).toBe(200);
		const csp = res.headers.get("content-security-policy") ?? "";
		expect(csp).toContain("default-src 'none'");
		expect(csp).toContain("frame-ancestors 'none'");
		// One script from the console itself (the live preview); nothing inline, no eval.
		expect(csp).toContain("script-src 'self'");
		expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
		expect(await res.text()).toContain("203.0.113.7");
	});

	it("refuses a tampered cookie", async () => {
		const { cookie } = await signIn();
		// A later expiry with the old signature, and a changed signature.
		const tampered = cookie.replace(/=(\d+)\./, (_m, n: string) => `=${Number(n) + 3_600_000}.`);
		expect(tampered).not.toBe(cookie);
		const [name, value = ""] = cookie.split("=");
		const flipped = `${name}=${value.slice(0, -3)}${value.slice(-3) === "abc" ? "abd" : "abc"}`;
		for (const bad of [tampered, flipped]) expect((await get("/console/webhooks", bad)).status).toBe(303);
	});

	it("ends the sessions of an admin token removed from ADMIN_TOKEN", async () => {
		const { cookie } = await signIn("test-admin-token-next");
		expect((await get("/console/sender-ips", cookie)).status).toBe(200);
		const rotated = { ...env, ADMIN_TOKEN: "test-admin-token" };
		expect((await get("/console/sender-ips", cookie, rotated)).status).toBe(303);
	});

	it("refuses a form post without the session's CSRF token, and one from another origin", async () => {
		const { cookie } = await signIn();
		const post = (origin: string, fields: Record<string, string>) =>
			app.request(
				"/console/webhooks/wh_nope/delete",
				{
					method: "POST",
					headers: { cookie, origin, "content-type": "application/x-www-form-urlencoded" },
					body: form(fields),
				},
				env,
			);
		expect((await post("http://localhost", { confirm: "on" })).status).toBe(403);
		expect((await post("http://localhost", { confirm: "on", _csrf: "0".repeat(64) })).status).toBe(403);
		expect((await post("https://evil.example", { confirm: "on" })).status).toBe(403);
	});
});

describe("console limits, caching and addresses", () => {
	it("refuses a body over 64 KiB with a 413 problem, signed in or not, and reads a long payload template", async () => {
		const big = form({ token: "x".repeat(CONSOLE_MAX_BODY_BYTES) });
		const anonymous = await post("/console/login", "", big);
		expect(anonymous.status).toBe(413);
		expect(anonymous.headers.get("content-type")).toBe("application/problem+json");
		expect(((await anonymous.json()) as { detail: string }).detail).toContain(String(CONSOLE_MAX_BODY_BYTES));

		const { cookie } = await signIn();
		const page = await (await get("/console/webhooks/new", cookie)).text();
		const _csrf = /name="_csrf" value="([0-9a-f]+)"/.exec(page)?.[1] ?? "";
		expect(_csrf).not.toBe("");
		const withTemplate = (bytes: number) =>
			post("/console/webhooks", cookie, form({ _csrf, name: "big", payloadTemplate: "x".repeat(bytes) }));
		expect((await withTemplate(70_000)).status).toBe(413);
		// A 40 KiB template is read, and refused by the API for its own reasons: the form comes back with the errors.
		const fits = await withTemplate(40_000);
		expect(fits.status).toBe(400);
		expect(await fits.text()).toContain("url");
	});

	it("marks every page and form answer Cache-Control: no-store, and keeps the assets' public cache", async () => {
		const { res: signedIn, cookie } = await signIn();
		const answers = [
			signedIn,
			await signIn("nope").then((r) => r.res),
			await get("/console/login", ""),
			await get("/console/webhooks", ""),
			await get("/console/webhooks", cookie),
			await get("/console/sender-ips", cookie),
			await get("/console/webhooks/wh_nope", cookie),
			await post("/console/webhooks/wh_nope/delete", cookie, form({ confirm: "on" })),
			await post("/console/login", "", form({ token: "x".repeat(CONSOLE_MAX_BODY_BYTES) })),
		];
		for (const res of answers) expect([res.status, res.headers.get("cache-control")]).toEqual([res.status, "no-store"]);
		for (const asset of ["/console/assets/style.css", "/console/assets/preview.js"])
			expect((await get(asset, "")).headers.get("cache-control")).toBe("public, max-age=300");
	});

	it("keeps the tenant and an id with / or ? each in its own segment of the API's address", async () => {
		const seen: string[] = [];
		const fetch = (request: Request) => {
			seen.push(new URL(request.url).pathname + new URL(request.url).search);
			return new Response(null, { status: 404 });
		};
		const operator = operatorClient({ fetch, env, token: "t" });
		for (const tenantId of ["default", "a/b", "x?y"]) {
			const client = apiClient({ fetch, env, token: "t", tenantId });
			const tenant = `/v1/tenants/${encodeURIComponent(tenantId)}`;
			for (const id of ["a/b", "a?limit=1", "a#b", "../../sender-ips", "%2e%2e"]) {
				seen.length = 0;
				await client.webhook(id);
				await client.webhookHealth(id);
				await client.rotateSecret(id);
				await client.deleteWebhook(id);
				await client.notification(id);
				await client.resendNotification(id);
				await operator.tenant(id);
				await operator.deleteTenant(id);
				await operator.revokeKey(id);
				const segment = encodeURIComponent(id);
				expect(seen).toEqual([
					`${tenant}/webhooks/${segment}`,
					`${tenant}/webhooks/${segment}/health`,
					`${tenant}/webhooks/${segment}/rotate-secret`,
					`${tenant}/webhooks/${segment}`,
					`${tenant}/notifications/${segment}`,
					`${tenant}/notifications/${segment}/resend`,
					`/v1/tenants/${segment}`,
					`/v1/tenants/${segment}`,
					`/v1/keys/${segment}`,
				]);
			}
		}
		// A `.` or `..` segment would be resolved away by the URL parser: nothing is sent.
		for (const id of ["..", "."]) {
			seen.length = 0;
			const client = apiClient({ fetch, env, token: "t", tenantId: "default" });
			expect((await client.webhook(id)).status).toBe(404);
			expect((await client.resendNotification(id)).status).toBe(404);
			expect(
				(await apiClient({ fetch, env, token: "t", tenantId: id }).listWebhooks({ limit: 1, health: false })).status,
			).toBe(404);
			expect((await operator.tenant(id)).status).toBe(404);
			expect(seen).toEqual([]);
		}
	});

	it("answers 404 for a console address whose id would name another API route", async () => {
		const { cookie } = await signIn();
		for (const id of ["wh_x/../../sender-ips", "?limit=1"]) {
			const res = await get(`/console/webhooks/${encodeURIComponent(id)}`, cookie);
			expect(res.status).toBe(404);
			expect(await res.text()).toContain("does not exist");
		}
	});
});
