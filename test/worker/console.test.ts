// The console's sign-in, session and form protection, inside workerd. The
// pages themselves are driven in a real browser by test/e2e/console.test.ts.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

const signIn = async (token = "test-admin-token", bindings: Env = env) => {
	const res = await app.request(
		"/console/login",
		{
			method: "POST",
			headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://localhost" },
			body: form({ token }),
		},
		bindings,
	);
	return { res, cookie: (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "" };
};

const get = (path: string, cookie: string, bindings: Env = env) => app.request(path, { headers: { cookie } }, bindings);

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
