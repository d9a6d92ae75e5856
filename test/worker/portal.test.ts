// The tenant portal's door, inside workerd: a link opens a session for its
// tenant alone; a tampered, foreign or expired link opens nothing; a session
// ends when its link expires; the cookie, the framing policy and the CSRF
// checks. The pages themselves are in portal-pages.test.ts and, in a real
// browser, test/e2e/portal.test.ts.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { signPortalLink } from "../../src/access/portal-link";
import { get as consoleGet } from "./console-session";
import { api, createTenant } from "./helpers";
import { get, linkFor, open, post, session } from "./portal-session";

const OTHER_KEY = "YW5vdGhlci1kZXBsb3ltZW50LWtleS0zMi1ieXRlcyE=";

/** A link signed here, for a grant the API would not make (a past or near expiry). */
const signed = async (tenantId: string, expiresAt: number, readOnly = false, key = env.ENCRYPTION_KEY) =>
	`/portal/open/${await signPortalLink(key, { tenantId, readOnly, expiresAt })}`;

const frameAncestors = (res: Response) =>
	/frame-ancestors ([^;]+)/.exec(res.headers.get("content-security-policy") ?? "")?.[1];

afterEach(() => {
	vi.useRealTimers();
});

describe("opening a portal link", () => {
	it("sets a signed HttpOnly, Secure, SameSite=None, Partitioned cookie for the tenant's pages and leads there", async () => {
		const tenant = await createTenant({ name: "Acme Bank" });
		const { res, cookie } = await open(await linkFor(tenant.id));
		expect(res.status).toBe(303);
		expect(res.headers.get("location")).toBe(`/portal/tenants/${tenant.id}/webhooks`);
		expect(res.headers.get("cache-control")).toBe("no-store");
		const setCookie = res.headers.get("set-cookie") ?? "";
		expect(setCookie).toMatch(/^hookline_portal=/);
		for (const attribute of ["HttpOnly", "Secure", "SameSite=None", "Partitioned", `Path=/portal/tenants/${tenant.id}`])
			expect(setCookie).toContain(attribute);
		// The link's hour, and a day in which the browser keeps it only to be told it ended.
		const maxAge = Number(/Max-Age=(\d+)/.exec(setCookie)?.[1]);
		expect(maxAge).toBeGreaterThan(3600 + 86_400 - 5);
		expect(maxAge).toBeLessThanOrEqual(3600 + 86_400);

		const page = await get(`/portal/tenants/${tenant.id}/webhooks`, cookie);
		expect(page.status).toBe(200);
		const html = await page.text();
		expect(html).toContain("Acme Bank");
		expect(html).toContain(`href="/portal/tenants/${tenant.id}/notifications"`);
		expect(html).toContain(`action="/portal/tenants/${tenant.id}/logout"`);
		// No tenant picker, no tenants, no keys.
		expect(html).not.toMatch(/picker|\/keys|\/console\/tenants|Tenants</);
		expect((await get(`/portal/tenants/${tenant.id}/keys`, cookie)).status).toBe(404);
		expect((await get(`/portal/tenants/${tenant.id}`, cookie)).headers.get("location")).toBe(
			`/portal/tenants/${tenant.id}/webhooks`,
		);
	});

	it("opens nothing with a tampered, foreign-key or malformed token", async () => {
		const [tenant, other] = [await createTenant(), await createTenant()];
		const later = Date.now() + 3600_000;
		const good = (await signed(tenant.id, later, true)).replace("/portal/open/", "");
		const [v, t, mode, exp, sig = ""] = good.split(".");
		// 32 bytes in 43 characters leave two unused bits in the last one: a different spelling of the same bytes.
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		const respelled = alphabet[alphabet.indexOf(sig.slice(-1)) ^ 1];
		const tampered = [
			[v, other.id, mode, exp, sig],
			[v, t, "w", exp, sig],
			[v, t, mode, String(Number(exp) + 86_400), sig],
			[v, t, mode, exp, `${sig.slice(0, -2)}${sig.slice(-2) === "AA" ? "AB" : "AA"}`],
			[v, t, mode, exp, `${sig.slice(0, -1)}${respelled}`],
			["v2", t, mode, exp, sig],
			[v, t, mode, exp],
		].map((parts) => parts.join("."));
		const foreign = (await signed(tenant.id, later, true, OTHER_KEY)).replace("/portal/open/", "");
		for (const token of [...tampered, foreign, "", "x", `${good}.x`, encodeURIComponent(`${good}/..`)]) {
			const { res, cookie } = await open(`/portal/open/${token}`);
			expect([token, res.status === 403 || res.status === 404]).toEqual([token, true]);
			expect(cookie, token).toBe("");
		}
		expect((await open(`/portal/open/${good}`)).res.status).toBe(303);
	});

	it("refuses an expired link, and one whose tenant was deleted", async () => {
		const tenant = await createTenant({ portalOrigins: ["https://platform.example"] });
		const expired = await open(await signed(tenant.id, Date.now() - 1000));
		expect(expired.res.status).toBe(403);
		expect(expired.cookie).toBe("");
		expect(await expired.res.text()).toContain("This link has expired");
		// Signed for this tenant: the refusal may show in its platform's frame.
		expect(frameAncestors(expired.res)).toBe("'self' https://platform.example");

		const link = await linkFor(tenant.id);
		expect((await api(`/v1/tenants/${tenant.id}`, { method: "DELETE" })).status).toBe(204);
		const gone = await open(link);
		expect(gone.res.status).toBe(403);
		expect(gone.cookie).toBe("");
	});

	it("ends the session when the link expires, and ends an open session when its tenant is deleted", async () => {
		const tenant = await createTenant();
		const expiresAt = (Math.floor(Date.now() / 1000) + 120) * 1000;
		const { cookie } = await open(await signed(tenant.id, expiresAt));
		const page = `/portal/tenants/${tenant.id}/webhooks`;
		expect((await get(page, cookie)).status).toBe(200);
		vi.useFakeTimers({ toFake: ["Date"] });
		vi.setSystemTime(expiresAt - 1);
		expect((await get(page, cookie)).status).toBe(200);
		vi.setSystemTime(expiresAt);
		const ended = await get(page, cookie);
		expect(ended.status).toBe(401);
		expect(await ended.text()).toContain("Your portal session has ended");
		vi.useRealTimers();

		const live = await session(tenant.id);
		expect((await api(`/v1/tenants/${tenant.id}`, { method: "DELETE" })).status).toBe(204);
		expect((await get(page, live.cookie)).status).toBe(401);
	});

	it("keeps a session to its tenant: not another tenant's pages, not the API, not the console", async () => {
		const [tenant, other] = [await createTenant(), await createTenant()];
		const { cookie } = await session(tenant.id);
		expect((await get(`/portal/tenants/${other.id}/webhooks`, cookie)).status).toBe(401);
		expect((await get(`/portal/tenants/${tenant.id}/webhooks`, cookie)).status).toBe(200);
		expect((await api(`/v1/tenants/${tenant.id}/webhooks`, { token: null, headers: { cookie } })).status).toBe(401);
		expect((await consoleGet("/console/webhooks", cookie)).status).toBe(303);
		// A changed value under the old signature.
		const forged = cookie.replace(`=${tenant.id}.`, `=${other.id}.`);
		expect(forged).not.toBe(cookie);
		expect((await get(`/portal/tenants/${other.id}/webhooks`, forged)).status).toBe(401);
		expect((await get(`/portal/tenants/${tenant.id}/webhooks`, "")).status).toBe(401);
	});
});

describe("portal framing, CSRF and sign-out", () => {
	it("lets the tenant's portalOrigins frame its pages, 'self' alone without them; the console stays unframed", async () => {
		const embedded = await createTenant({ portalOrigins: ["https://platform.example", "http://localhost:3000"] });
		const plain = await createTenant();
		const a = await session(embedded.id);
		const b = await session(plain.id);
		const framed = await get(`${a.base}/webhooks`, a.cookie);
		expect(frameAncestors(framed)).toBe("'self' https://platform.example http://localhost:3000");
		expect(framed.headers.get("x-frame-options")).toBeNull();
		const csp = framed.headers.get("content-security-policy") ?? "";
		expect(csp).toContain("default-src 'none'; script-src 'self'");
		expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
		expect(framed.headers.get("cache-control")).toBe("no-store");
		const unframed = await get(`${b.base}/webhooks`, b.cookie);
		expect(frameAncestors(unframed)).toBe("'self'");
		expect(unframed.headers.get("x-frame-options")).toBe("SAMEORIGIN");
		// Without a session nothing proves the tenant: its origins are not told.
		expect(frameAncestors(await get(`${a.base}/webhooks`))).toBe("'self'");
		expect(frameAncestors(await consoleGet("/console/login", ""))).toBe("'none'");

		// A change of portalOrigins applies to the next page.
		await api(`/v1/tenants/${embedded.id}`, { method: "PATCH", body: { portalOrigins: ["https://new.example"] } });
		expect(frameAncestors(await get(`${a.base}/webhooks`, a.cookie))).toBe("'self' https://new.example");
	});

	it("frames the page saying a session ended for the tenant's origins", async () => {
		const tenant = await createTenant({ portalOrigins: ["https://platform.example"] });
		const expiresAt = (Math.floor(Date.now() / 1000) + 60) * 1000;
		const { cookie } = await open(await signed(tenant.id, expiresAt));
		vi.useFakeTimers({ toFake: ["Date"] });
		vi.setSystemTime(expiresAt + 1000);
		const ended = await get(`/portal/tenants/${tenant.id}/webhooks`, cookie);
		expect(ended.status).toBe(401);
		expect(frameAncestors(ended)).toBe("'self' https://platform.example");
	});

	it("refuses a post without the session's CSRF token, with another session's, and from another origin", async () => {
		const tenant = await createTenant();
		const mine = await session(tenant.id);
		const theirs = await session(tenant.id);
		const path = `${mine.base}/webhooks/wh_nope/delete`;
		expect((await post(path, mine.cookie, { confirm: "on" })).status).toBe(403);
		expect((await post(path, mine.cookie, { confirm: "on", _csrf: theirs._csrf })).status).toBe(403);
		expect((await post(path, mine.cookie, { confirm: "on", _csrf: mine._csrf }, "https://evil.example")).status).toBe(
			403,
		);
		// The same post with its own token gets through to the API, which has no such webhook.
		const through = await post(path, mine.cookie, { confirm: "on", _csrf: mine._csrf });
		expect(through.status).toBe(303);
		expect(decodeURIComponent(through.headers.get("location") ?? "")).toContain("err=");
	});

	it("ends the session in the browser on request: the cookie is removed from its path and partition", async () => {
		const tenant = await createTenant();
		const { cookie, _csrf, base } = await session(tenant.id);
		const res = await post(`${base}/logout`, cookie, { _csrf });
		expect(res.status).toBe(401);
		const setCookie = res.headers.get("set-cookie") ?? "";
		expect(setCookie).toMatch(/^hookline_portal=;/);
		for (const attribute of ["Max-Age=0", `Path=${base}`, "Secure", "SameSite=None", "Partitioned"])
			expect(setCookie).toContain(attribute);
	});

	it("answers the bare /portal with a page that names no tenant", async () => {
		const res = await get("/portal");
		expect(res.status).toBe(404);
		expect(await res.text()).toContain("Open the portal with the link you were given");
	});
});
