// POST /v1/tenants/{t}/portal-links and /v1/portal-links: who may make a
// link, for which tenant, for how long, and what the link says.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { readPortalLink } from "../../src/access/portal-link";
import { api, createKey, createTenant, INGEST } from "./helpers";
import { makeLink, open, type PortalLinkJson } from "./portal-session";

const tokenOf = (url: string) => new URL(url).pathname.replace("/portal/open/", "");

const made = async (res: Response) => {
	expect(res.status, await res.clone().text()).toBe(201);
	return (await res.json()) as PortalLinkJson;
};

describe("making a portal link", () => {
	it("answers 201 with a link into /portal that expires in an hour by default, secret in the path", async () => {
		const tenant = await createTenant();
		const before = Date.now();
		const link = await made(await makeLink(tenant.id));
		const url = new URL(link.url);
		expect(url.origin).toBe("http://hookline.test");
		expect(url.pathname).toMatch(/^\/portal\/open\/v1\./);
		expect(url.hash).toBe("");
		expect(link.readOnly).toBe(false);
		const expiresAt = Date.parse(link.expiresAt);
		expect(expiresAt).toBeGreaterThan(before + 3600_000 - 2000);
		expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3600_000);
		const read = await readPortalLink(env.ENCRYPTION_KEY, tokenOf(link.url));
		expect(read).toEqual({ grant: { tenantId: tenant.id, readOnly: false, expiresAt }, expired: false });
	});

	it("takes expiresInSeconds from 60 to 86400 and readOnly; anything else is a 400 naming the field", async () => {
		const tenant = await createTenant();
		const short = await made(await makeLink(tenant.id, { expiresInSeconds: 60, readOnly: true }));
		expect(short.readOnly).toBe(true);
		expect(Date.parse(short.expiresAt) - Date.now()).toBeLessThanOrEqual(60_000);
		const day = await made(await makeLink(tenant.id, { expiresInSeconds: 86_400 }));
		expect(Date.parse(day.expiresAt) - Date.now()).toBeGreaterThan(86_000_000);
		for (const [body, path] of [
			[{ expiresInSeconds: 59 }, "expiresInSeconds"],
			[{ expiresInSeconds: 86_401 }, "expiresInSeconds"],
			[{ expiresInSeconds: 90.5 }, "expiresInSeconds"],
			[{ expiresInSeconds: "3600" }, "expiresInSeconds"],
			[{ readOnly: "yes" }, "readOnly"],
			[{ tenantId: "other" }, "(body)"],
		] as const) {
			const res = await makeLink(tenant.id, body);
			expect(res.status, JSON.stringify(body)).toBe(400);
			const problem = (await res.json()) as { errors: { path: string }[] };
			expect(problem.errors.map((e) => e.path)).toContain(path);
		}
	});

	it("takes a request without a body", async () => {
		const tenant = await createTenant();
		const bare = await api(`/v1/tenants/${tenant.id}/portal-links`, { method: "POST" });
		expect((await made(bare)).readOnly).toBe(false);
	});

	it("needs manage and read: 401 without a secret, 403 for ingest, read or manage alone", async () => {
		const tenant = await createTenant();
		expect((await makeLink(tenant.id, {}, { token: "" })).status).toBe(401);
		expect((await makeLink(tenant.id, {}, { token: INGEST })).status).toBe(403);
		for (const scopes of [["read"], ["manage"], ["ingest", "manage"]]) {
			const key = await createKey({ tenantId: tenant.id, scopes });
			expect((await makeLink(tenant.id, {}, { token: key.token })).status, scopes.join()).toBe(403);
		}
		const both = await createKey({ tenantId: tenant.id, scopes: ["read", "manage"] });
		await made(await makeLink(tenant.id, {}, { token: both.token }));
	});

	it("keeps a tenant key to its own tenant: another tenant's path is 403, unprefixed is its own", async () => {
		const [mine, theirs] = [await createTenant(), await createTenant()];
		const key = await createKey({ tenantId: mine.id, scopes: ["read", "manage"] });
		const refused = await makeLink(theirs.id, {}, { token: key.token });
		expect(refused.status).toBe(403);
		const own = await made(await makeLink(null, {}, { token: key.token }));
		expect((await readPortalLink(env.ENCRYPTION_KEY, tokenOf(own.url)))?.grant.tenantId).toBe(mine.id);
		// The link it made opens its own tenant's pages.
		const { res } = await open(new URL(own.url).pathname);
		expect(res.headers.get("location")).toBe(`/portal/tenants/${mine.id}/webhooks`);
	});

	it("lets an operator make links for any tenant, unprefixed for `default`, and 404s an unknown tenant", async () => {
		const tenant = await createTenant();
		const operatorKey = await createKey({ tenantId: null, scopes: ["read", "manage"] });
		const link = await made(await makeLink(tenant.id, {}, { token: operatorKey.token }));
		expect((await readPortalLink(env.ENCRYPTION_KEY, tokenOf(link.url)))?.grant.tenantId).toBe(tenant.id);
		const unprefixed = await made(await makeLink(null));
		expect((await readPortalLink(env.ENCRYPTION_KEY, tokenOf(unprefixed.url)))?.grant.tenantId).toBe("default");
		expect((await makeLink("no-such-tenant")).status).toBe(404);
	});

	it("is in the OpenAPI document in both forms", async () => {
		const doc = (await (await api("/openapi.json", { token: null })).json()) as {
			paths: Record<string, { post?: { security?: unknown; requestBody?: unknown } }>;
		};
		for (const path of ["/v1/portal-links", "/v1/tenants/{tenantId}/portal-links"]) {
			expect(doc.paths[path]?.post?.security, path).toEqual([{ bearer: ["manage", "read"] }]);
			expect(JSON.stringify(doc.paths[path]?.post?.requestBody)).toContain("PortalLinkCreate");
		}
	});
});
