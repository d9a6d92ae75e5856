// The console's tenants, keys and tenant picker, inside workerd: pages fetched
// and forms posted with a signed-in session, and what they did checked through
// the API. The same flows run in a real browser in test/e2e/console.test.ts.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { csrfOf, form, get, post, signIn } from "./console-session";
import { api, eventually, uniqueTag } from "./helpers";

let cookie = "";
let _csrf = "";

beforeAll(async () => {
	cookie = (await signIn()).cookie;
	_csrf = await csrfOf(cookie);
});

const newTenantId = () => uniqueTag("tnt").toLowerCase();

/** A tenant made through the console's form. */
const createTenant = async (id = newTenantId(), name = `Bank ${id}`) => {
	const res = await post("/console/tenants", cookie, form({ _csrf, id, name }));
	expect(res.status).toBe(303);
	return id;
};

/** A webhook made through the console's form, for the tenant whose pages live at `base`. */
const createWebhookIn = async (base: string, name: string) => {
	const res = await post(
		`${base}/webhooks`,
		cookie,
		form({ _csrf, name, eventTypes: "loan.created", url: `${env.RECEIVER_URL}/ok/${name}`, _hasEnabled: "1" }),
	);
	expect(res.status).toBe(200);
	const html = await res.text();
	const id = /href="[^"]*\/webhooks\/(wh_[0-9A-Z]+)"/.exec(html)?.[1];
	if (!id) throw new Error(`no webhook link on the answer page: ${html}`);
	return { id, html };
};

/** The picked tenant, as the header's picker shows it. */
const pickedIn = (html: string) => /<option value="([^"]*)" selected/.exec(html)?.[1];

describe("console tenant picker", () => {
	it("shows the picker on every page, `default` picked at /console/…, with Tenants and Keys in the navigation", async () => {
		for (const path of ["/console/webhooks", "/console/notifications", "/console/keys", "/console/sender-ips"]) {
			const res = await get(path, cookie);
			expect(res.status).toBe(200);
			const html = await res.text();
			expect(pickedIn(html)).toBe("default");
			expect(html).toContain('action="/console/pick"');
			expect(html).toContain('href="/console/tenants"');
			expect(html).toContain('href="/console/keys"');
		}
	});

	it("sends the picker's choice to the same section of that tenant's pages", async () => {
		const location = async (query: string) => (await get(`/console/pick?${query}`, cookie)).headers.get("location");
		expect(await location("tenant=acme&section=notifications")).toBe("/console/tenants/acme/notifications");
		expect(await location("tenant=acme&section=keys")).toBe("/console/tenants/acme/keys");
		expect(await location("tenant=default&section=keys")).toBe("/console/keys");
		// An unknown section keeps to the webhooks; an odd id stays one segment of the address.
		expect(await location("tenant=acme&section=..%2Fevil")).toBe("/console/tenants/acme/webhooks");
		expect(await location("tenant=a%2Fb%3Fc&section=webhooks")).toBe("/console/tenants/a%2Fb%3Fc/webhooks");
		expect((await get("/console/tenants/acme", cookie)).headers.get("location")).toBe("/console/tenants/acme/webhooks");
	});

	it("scopes every page to the picked tenant: a webhook made under it is listed there and not under `default`", async () => {
		const tenantId = await createTenant();
		const base = `/console/tenants/${tenantId}`;
		const name = uniqueTag("scoped-hook");
		const { id, html } = await createWebhookIn(base, name);
		expect(html).toContain(`href="${base}/webhooks/${id}"`);
		// The API agrees: the webhook is the tenant's.
		const own = (await (await api(`/v1/tenants/${tenantId}/webhooks`)).json()) as { data: { id: string }[] };
		expect(own.data.map((w) => w.id)).toEqual([id]);
		expect((await api(`/v1/webhooks/${id}`)).status).toBe(404);

		const scoped = await (await get(`${base}/webhooks`, cookie)).text();
		expect(scoped).toContain(name);
		expect(pickedIn(scoped)).toBe(tenantId);
		// Every link and form of the tenant's pages stays under its prefix.
		expect(scoped).toContain(`href="${base}/webhooks/new"`);
		expect(scoped).toContain(`href="${base}/notifications"`);
		expect(scoped).toContain(`href="/console/tenants?tenant=${tenantId}"`);
		expect(await (await get("/console/webhooks", cookie)).text()).not.toContain(name);

		const detail = await (await get(`${base}/webhooks/${id}`, cookie)).text();
		expect(detail).toContain(`action="${base}/webhooks/${id}/test"`);
		expect(detail).toContain(`data-preview="${base}/webhooks/preview-fragment"`);
		expect((await get(`/console/webhooks/${id}`, cookie)).status).toBe(404);

		// An action redirects back into the tenant's pages.
		const disabled = await post(`${base}/webhooks/${id}/disable`, cookie, form({ _csrf }));
		expect(disabled.headers.get("location")).toBe(`${base}/webhooks/${id}?ok=disabled`);
		const deleted = await post(`${base}/webhooks/${id}/delete`, cookie, form({ _csrf, confirm: "on" }));
		expect(deleted.headers.get("location")).toBe(`${base}/webhooks`);
		expect((await api(`/v1/tenants/${tenantId}/webhooks/${id}`)).status).toBe(404);
	});

	it("says clearly that an unknown, malformed or deleted tenant does not exist (404, not 500)", async () => {
		const gone = await createTenant();
		expect((await api(`/v1/tenants/${gone}`, { method: "DELETE" })).status).toBe(204);
		for (const path of [
			"/console/tenants/no-such-tenant/webhooks",
			"/console/tenants/NOT%20AN%20ID/notifications",
			`/console/tenants/${gone}/keys`,
			`/console/tenants/${gone}/webhooks/wh_x`,
		]) {
			const res = await get(path, cookie);
			expect([path, res.status]).toEqual([path, 404]);
			const html = await res.text();
			expect(html).toContain("does not exist, or it was deleted");
			expect(html).toContain("Choose a tenant");
			// Its navigation leads back to `default`'s pages.
			expect(html).toContain('href="/console/webhooks"');
		}
		const post404 = await post(`/console/tenants/${gone}/webhooks`, cookie, form({ _csrf, name: "x" }));
		expect(post404.status).toBe(404);
	});
});

describe("console tenants page", () => {
	it("lists tenants, creates one (id optional), and shows the API's errors under the fields", async () => {
		const id = await createTenant(undefined, "Acme <b>Bank</b>");
		const html = await (await get("/console/tenants?ok=tenant-created", cookie)).text();
		expect(html).toContain("Tenant created.");
		expect(html).toContain(`href="/console/tenants/${id}/webhooks"`);
		expect(html).toContain("Acme &lt;b&gt;Bank&lt;/b&gt;");
		expect(html).toContain(`href="/console/webhooks"`); // `default` is picked by its pages at /console.

		const generated = await post("/console/tenants", cookie, form({ _csrf, id: "", name: "No id given" }));
		expect(generated.status).toBe(303);
		const listed = (await (await api("/v1/tenants?limit=200")).json()) as { data: { id: string; name: string }[] };
		expect(listed.data.find((t) => t.name === "No id given")?.id).toMatch(/^tnt_/);

		const bad = await post("/console/tenants", cookie, form({ _csrf, id: "Not Valid", name: "" }));
		expect(bad.status).toBe(400);
		const errors = await bad.text();
		expect(errors).toMatch(/id="id"[^>]*value="Not Valid"/);
		expect(errors).toContain('class="error"');
		const taken = await post("/console/tenants", cookie, form({ _csrf, id, name: "Again" }));
		expect(taken.status).toBe(400);
		expect(await taken.text()).toContain("is taken");
	});

	it("keeps the picked tenant on the Tenants page and after creating one", async () => {
		const picked = await createTenant();
		const html = await (await get(`/console/tenants?tenant=${picked}`, cookie)).text();
		expect(pickedIn(html)).toBe(picked);
		expect(html).toContain(`href="/console/tenants/${picked}/webhooks"`);
		const res = await post("/console/tenants", cookie, form({ _csrf, name: "Another", tenant: picked }));
		expect(res.headers.get("location")).toBe(`/console/tenants?tenant=${picked}&ok=tenant-created`);
	});

	it("deletes a tenant after confirmation, and shows the API's problem for `default`", async () => {
		const id = await createTenant();
		const confirm = await get(`/console/tenants/${id}/delete`, cookie);
		expect(confirm.status).toBe(200);
		expect(await confirm.text()).toContain("Yes, delete this tenant");
		const unticked = await post(`/console/tenants/${id}/delete`, cookie, form({ _csrf }));
		expect(unticked.headers.get("location")).toBe(`/console/tenants/${id}/delete`);
		expect((await api(`/v1/tenants/${id}`)).status).toBe(200);

		const done = await post(`/console/tenants/${id}/delete`, cookie, form({ _csrf, confirm: "on", tenant: id }));
		expect(done.headers.get("location")).toBe("/console/tenants?ok=tenant-deleted");
		expect((await api(`/v1/tenants/${id}`)).status).toBe(404);
		expect((await get(`/console/tenants/${id}/delete`, cookie)).status).toBe(404);

		const refused = await post("/console/tenants/default/delete", cookie, form({ _csrf, confirm: "on" }));
		const location = refused.headers.get("location") ?? "";
		expect(location).toMatch(/^\/console\/tenants\?err=/);
		expect(await (await get(location, cookie)).text()).toContain("Failed: The default tenant always exists");
		expect((await api("/v1/tenants/default")).status).toBe(200);
	});

	it("refuses tenant forms without the CSRF token", async () => {
		const id = newTenantId();
		expect((await post("/console/tenants", cookie, form({ id, name: "x" }))).status).toBe(403);
		expect((await api(`/v1/tenants/${id}`)).status).toBe(404);
		expect((await post("/console/tenants/default/delete", cookie, form({ confirm: "on" }))).status).toBe(403);
	});
});

describe("console keys page", () => {
	/** Creates a key through the form; answers the page and the secret it shows. */
	const createKey = async (base: string, fields: [string, string][]) => {
		const res = await post(`${base}/keys`, cookie, form([["_csrf", _csrf], ...fields]));
		const html = await res.text();
		return { res, html, secret: /id="secret">\s*(hk_[^<\s]+)/.exec(html)?.[1] };
	};

	it("creates a tenant key with scopes, shows its secret once, lists only its prefix, and revokes it", async () => {
		const tenantId = await createTenant();
		const base = `/console/tenants/${tenantId}`;
		const name = uniqueTag("reader");
		const { res, secret } = await createKey(base, [
			["name", name],
			["scopes", "read"],
			["scopes", "ingest"],
			["owner", "tenant"],
		]);
		expect(res.status).toBe(200);
		expect(secret).toMatch(/^hk_/);
		const bearer = `Bearer ${secret}`;
		// The key works for its tenant with its scopes, and not for another tenant's path.
		expect((await api(`/v1/tenants/${tenantId}/webhooks`, { token: bearer })).status).toBe(200);
		expect((await api("/v1/tenants/default/webhooks", { token: bearer })).status).toBe(403);

		const list = await (await get(`${base}/keys`, cookie)).text();
		const keys = (await (await api(`/v1/keys?tenantId=${tenantId}`)).json()) as {
			data: { id: string; name: string; prefix: string; scopes: string[] }[];
		};
		const key = keys.data.find((k) => k.name === name);
		expect(key?.scopes.sort()).toEqual(["ingest", "read"]);
		expect(list).toContain(name);
		expect(list).toContain(key?.prefix);
		expect(list).not.toContain(secret);
		expect(list).toContain(`action="${base}/keys/${key?.id}/revoke"`);

		const revoked = await post(`${base}/keys/${key?.id}/revoke`, cookie, form({ _csrf }));
		expect(revoked.headers.get("location")).toBe(`${base}/keys?ok=revoked`);
		await eventually(async () =>
			(await api(`/v1/tenants/${tenantId}/webhooks`, { token: bearer })).status === 401 ? true : undefined,
		);
		expect(await (await get(`${base}/keys?ok=revoked`, cookie)).text()).not.toContain(name);
	});

	it("lists the picked tenant's keys and the operator-wide ones, not another tenant's", async () => {
		const [mine, other] = [await createTenant(), await createTenant()];
		const [ownName, otherName, wideName] = [uniqueTag("own"), uniqueTag("other"), uniqueTag("wide")];
		await createKey(`/console/tenants/${mine}`, [
			["name", ownName],
			["scopes", "read"],
		]);
		await createKey(`/console/tenants/${other}`, [
			["name", otherName],
			["scopes", "read"],
		]);
		const wide = await createKey(`/console/tenants/${mine}`, [
			["name", wideName],
			["scopes", "manage"],
			["owner", "operator"],
		]);
		expect(wide.html).toContain("every tenant (operator-wide)");
		const html = await (await get(`/console/tenants/${mine}/keys`, cookie)).text();
		const tenantTable = html.slice(html.indexOf('id="tenant-keys"'), html.indexOf('id="operator-keys"'));
		const operatorTable = html.slice(html.indexOf('id="operator-keys"'));
		expect(tenantTable).toContain(ownName);
		expect(tenantTable).not.toContain(wideName);
		expect(operatorTable).toContain(wideName);
		expect(html).not.toContain(otherName);
		// The operator-wide key shows under every tenant, `default` included.
		expect(await (await get("/console/keys", cookie)).text()).toContain(wideName);
	});

	it("shows the API's errors under the fields and keeps what was typed", async () => {
		const noScope = await createKey("/console", [["name", "no scopes"]]);
		expect(noScope.res.status).toBe(400);
		expect(noScope.secret).toBeUndefined();
		expect(noScope.html).toMatch(/Scopes<\/legend>[\s\S]*class="error"[\s\S]*<\/fieldset>/);
		expect(noScope.html).toMatch(/value="no scopes"/);

		const past = await createKey("/console", [
			["name", "expired"],
			["scopes", "read"],
			["expiresAt", "2001-01-01T00:00"],
		]);
		expect(past.res.status).toBe(400);
		expect(past.html).toContain("must be in the future");
		expect(past.html).toMatch(/name="scopes" value="read" checked/);
	});

	it("sets an expiry read as UTC", async () => {
		const name = uniqueTag("expiring");
		const { secret } = await createKey("/console", [
			["name", name],
			["scopes", "read"],
			["expiresAt", "2099-06-01T12:30"],
		]);
		expect(secret).toMatch(/^hk_/);
		const keys = (await (await api("/v1/keys?tenantId=default")).json()) as {
			data: { name: string; expiresAt: string }[];
		};
		expect(keys.data.find((k) => k.name === name)?.expiresAt).toBe("2099-06-01T12:30:00.000Z");
	});

	it("refuses a revoke without the CSRF token, and marks the new pages no-store", async () => {
		const { secret } = await createKey("/console", [
			["name", uniqueTag("kept")],
			["scopes", "read"],
		]);
		const keys = (await (await api("/v1/keys?tenantId=default")).json()) as { data: { id: string }[] };
		const [newest] = keys.data;
		expect((await post(`/console/keys/${newest?.id}/revoke`, cookie, form({}))).status).toBe(403);
		expect((await api("/v1/webhooks", { token: `Bearer ${secret}` })).status).toBe(200);
		for (const path of [
			"/console/keys",
			"/console/tenants",
			"/console/tenants/nope/webhooks",
			"/console/pick?tenant=x",
		])
			expect([path, (await get(path, cookie)).headers.get("cache-control")]).toEqual([path, "no-store"]);
	});
});
