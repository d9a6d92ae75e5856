// /v1/keys: secrets shown once, scopes enforced, expiry and revocation, and a
// tenant's key confined to its own tenant's keys.
import { describe, expect, it } from "vitest";
import { api, createKey, createTenant, eventually, type KeyJson, uniqueTag } from "./helpers";

type Page = { data: KeyJson[]; nextCursor: string | null };
type Problem = { status: number; detail: string; errors?: { path: string; message: string }[] };

const listKeys = async (token: string, query = "") => {
	const res = await api(`/v1/keys${query}`, { token });
	expect(res.status).toBe(200);
	return (await res.json()) as Page;
};

const event = (type = "key.checked") => ({ method: "POST", body: { type, data: {} } });

describe("creating and listing keys", () => {
	it("shows the secret once; the list shows its prefix, never the secret or a hash", async () => {
		const tenant = await createTenant();
		const res = await api("/v1/keys", {
			method: "POST",
			body: { name: "billing", tenantId: tenant.id, scopes: ["ingest", "read"] },
		});
		expect(res.status).toBe(201);
		const created = (await res.json()) as KeyJson & { secret: string };
		expect(created.secret).toMatch(/^hk_[A-Za-z0-9_-]{43}$/);
		expect(created).toMatchObject({
			name: "billing",
			tenantId: tenant.id,
			scopes: ["ingest", "read"],
			expiresAt: null,
			lastUsedAt: null,
		});
		expect(created.id).toMatch(/^key_/);
		expect(created.secret.startsWith(created.prefix)).toBe(true);
		expect(created.prefix.length).toBeLessThan(created.secret.length / 2);

		const text = await (await api(`/v1/keys?tenantId=${tenant.id}`)).text();
		const listed = (JSON.parse(text) as Page).data;
		expect(listed.map((k) => k.id)).toEqual([created.id]);
		const { secret: _secret, ...shown } = created;
		expect(listed[0]).toEqual(shown);
		expect(text).not.toContain(created.secret);
		expect(text).not.toMatch(/secret|hash/i);
		// The operator's unfiltered list has it too, still without secrets.
		const all = await api("/v1/keys?limit=200");
		expect(await all.text()).not.toContain(created.secret);
	});

	it.each([
		[{ name: "k", scopes: ["read"], expiresAt: "2020-01-01T00:00:00Z" }, "expiresAt"],
		[{ name: "k", scopes: ["read"], expiresAt: "tomorrow" }, "expiresAt"],
		[{ name: "k", scopes: [] }, "scopes"],
		[{ name: "k", scopes: ["write"] }, "scopes.0"],
		[{ name: "k", scopes: ["read", "read"] }, "scopes"],
		[{ scopes: ["read"] }, "name"],
		[{ name: "k", scopes: ["read"], tenantId: "Not An Id" }, "tenantId"],
		[{ name: "k", scopes: ["read"], tenantId: "no-such-tenant-here" }, "tenantId"],
	])("refuses %j with a 400 naming %s", async (body, path) => {
		const res = await api("/v1/keys", { method: "POST", body });
		expect(res.status).toBe(400);
		expect(((await res.json()) as Problem).errors?.map((e) => e.path)).toContain(path);
	});

	it("notes when a key was last used", async () => {
		const key = await createKey({ tenantId: (await createTenant()).id, scopes: ["read"] });
		const before = Date.now();
		expect((await api("/v1/webhooks", { token: key.token })).status).toBe(200);
		const used = await eventually(async () => {
			const [listed] = (await listKeys(key.token)).data.filter((k) => k.id === key.id);
			return listed?.lastUsedAt ?? undefined;
		});
		expect(Date.parse(used)).toBeGreaterThanOrEqual(before - 1000);
	});
});

describe("scopes", () => {
	it("lets an ingest key post events and read nothing", async () => {
		const tenant = await createTenant();
		const key = await createKey({ tenantId: tenant.id, scopes: ["ingest"] });
		expect((await api("/v1/events", { ...event(), token: key.token })).status).toBe(202);
		expect((await api(`/v1/tenants/${tenant.id}/events`, { ...event(), token: key.token })).status).toBe(202);
		for (const path of ["/v1/webhooks", "/v1/notifications", "/v1/keys", `/v1/tenants/${tenant.id}/webhooks`])
			expect((await api(path, { token: key.token })).status, path).toBe(403);
		expect((await api("/v1/webhooks", { method: "POST", token: key.token, body: {} })).status).toBe(403);
	});

	it("lets a read key read and change nothing", async () => {
		const key = await createKey({ tenantId: (await createTenant()).id, scopes: ["read"] });
		for (const path of ["/v1/webhooks", "/v1/notifications", "/v1/keys"])
			expect((await api(path, { token: key.token })).status, path).toBe(200);
		const hook = { name: "h", eventTypes: ["*"], url: "https://example.com/hook" };
		expect((await api("/v1/webhooks", { method: "POST", token: key.token, body: hook })).status).toBe(403);
		expect((await api("/v1/events", { ...event(), token: key.token })).status).toBe(403);
		const newKey = await api("/v1/keys", { method: "POST", token: key.token, body: { name: "k", scopes: ["read"] } });
		expect(newKey.status).toBe(403);
	});

	it("lets a manage key without read change but not read", async () => {
		const key = await createKey({ tenantId: (await createTenant()).id, scopes: ["manage"] });
		const hook = { name: "h", eventTypes: ["*"], url: "https://example.com/hook" };
		const created = await api("/v1/webhooks", { method: "POST", token: key.token, body: hook });
		expect(created.status).toBe(201);
		const { id } = (await created.json()) as { id: string };
		for (const path of ["/v1/webhooks", `/v1/webhooks/${id}`, `/v1/webhooks/${id}/health`, "/v1/notifications"])
			expect((await api(path, { token: key.token })).status, path).toBe(403);
		expect((await api(`/v1/webhooks/${id}`, { method: "PATCH", token: key.token, body: { name: "x" } })).status).toBe(
			200,
		);
	});
});

describe("expiry and revocation", () => {
	it("stops a key once its expiry passes (401)", async () => {
		const expiresAt = Date.now() + 2_000;
		const key = await createKey({
			tenantId: (await createTenant()).id,
			scopes: ["read"],
			expiresAt: new Date(expiresAt).toISOString(),
		});
		expect(key.expiresAt).toBe(new Date(expiresAt).toISOString());
		expect((await api("/v1/webhooks", { token: key.token })).status).toBe(200);
		const refusedAt = await eventually(
			async () => ((await api("/v1/webhooks", { token: key.token })).status === 401 ? Date.now() : undefined),
			{ timeoutMs: 10_000, intervalMs: 100 },
		);
		expect(refusedAt).toBeGreaterThanOrEqual(expiresAt);
		expect((await api("/v1/events", { ...event(), token: key.token })).status).toBe(401);
	});

	it("stops a revoked key at once in this isolate, and a second revoke is a 404", async () => {
		const tenant = await createTenant();
		const key = await createKey({ tenantId: tenant.id });
		expect((await api("/v1/events", { ...event(), token: key.token })).status).toBe(202);
		expect((await api(`/v1/keys/${key.id}`, { method: "DELETE" })).status).toBe(204);
		expect((await api("/v1/events", { ...event(), token: key.token })).status).toBe(401);
		expect((await api("/v1/webhooks", { token: key.token })).status).toBe(401);
		expect((await listKeys("Bearer test-admin-token", `?tenantId=${tenant.id}`)).data).toEqual([]);
		expect((await api(`/v1/keys/${key.id}`, { method: "DELETE" })).status).toBe(404);
	});

	it("lets a key revoke itself", async () => {
		const key = await createKey({ tenantId: (await createTenant()).id, scopes: ["manage"] });
		expect((await api(`/v1/keys/${key.id}`, { method: "DELETE", token: key.token })).status).toBe(204);
		expect((await api("/v1/keys", { method: "DELETE", token: key.token })).status).toBe(401);
	});
});

describe("a tenant's key and other keys", () => {
	it("creates keys for its own tenant only, with no more scopes than it has", async () => {
		const [mine, theirs] = [await createTenant(), await createTenant()];
		const key = await createKey({ tenantId: mine.id, scopes: ["read", "manage"] });
		const own = await createKey({ name: "child", scopes: ["read"] }, { token: key.token });
		expect(own.tenantId).toBe(mine.id);
		expect((await api("/v1/webhooks", { token: own.token })).status).toBe(200);
		const named = await createKey({ tenantId: mine.id, scopes: ["manage"] }, { token: key.token });
		expect(named.tenantId).toBe(mine.id);
		for (const body of [
			{ name: "k", tenantId: theirs.id, scopes: ["read"] },
			{ name: "k", tenantId: null, scopes: ["read"] },
			{ name: "k", scopes: ["ingest"] },
			{ name: "k", tenantId: mine.id, scopes: ["read", "ingest"] },
		]) {
			const res = await api("/v1/keys", { method: "POST", token: key.token, body });
			expect(res.status, JSON.stringify(body)).toBe(403);
		}
		expect((await listKeys("Bearer test-admin-token", `?tenantId=${theirs.id}`)).data).toEqual([]);
	});

	it("sees and revokes only its own tenant's keys (another's is a 404)", async () => {
		const [mine, theirs] = [await createTenant(), await createTenant()];
		const key = await createKey({ tenantId: mine.id });
		const sibling = await createKey({ tenantId: mine.id, scopes: ["read"] });
		const other = await createKey({ tenantId: theirs.id });
		const operator = await createKey({ tenantId: null, scopes: ["read"] });
		const seen = (await listKeys(key.token, "?limit=200")).data;
		expect(seen.map((k) => k.id).sort()).toEqual([key.id, sibling.id].sort());
		expect((await listKeys(key.token, `?tenantId=${mine.id}`)).data).toHaveLength(2);
		expect((await api(`/v1/keys?tenantId=${theirs.id}`, { token: key.token })).status).toBe(403);
		for (const id of [other.id, operator.id, `key_${uniqueTag("x")}`])
			expect((await api(`/v1/keys/${id}`, { method: "DELETE", token: key.token })).status).toBe(404);
		expect((await api("/v1/webhooks", { token: other.token })).status).toBe(200);
		expect((await api("/v1/tenants", { token: operator.token })).status).toBe(200);
		expect((await api(`/v1/keys/${sibling.id}`, { method: "DELETE", token: key.token })).status).toBe(204);
		expect((await api("/v1/webhooks", { token: sibling.token })).status).toBe(401);
	});

	it("lets an operator key act like the admin token, within its scopes", async () => {
		const tenant = await createTenant();
		const key = await createKey({ tenantId: null, scopes: ["read", "manage"] });
		expect(key.tenantId).toBeNull();
		expect((await api("/v1/webhooks", { token: key.token })).status).toBe(200);
		expect((await api(`/v1/tenants/${tenant.id}/webhooks`, { token: key.token })).status).toBe(200);
		const hook = { name: "h", eventTypes: ["*"], url: "https://example.com/hook" };
		const created = await api(`/v1/tenants/${tenant.id}/webhooks`, { method: "POST", token: key.token, body: hook });
		expect(created.status).toBe(201);
		const { id } = (await created.json()) as { id: string };
		expect((await api(`/v1/tenants/${tenant.id}/webhooks/${id}`)).status).toBe(200);
		expect((await api("/v1/metrics", { token: key.token })).status).toBe(200);
		expect((await api(`/v1/tenants/${tenant.id}`, { token: key.token })).status).toBe(200);
		const forTenant = await createKey({ tenantId: tenant.id, scopes: ["read"] }, { token: key.token });
		expect(forTenant.tenantId).toBe(tenant.id);
		expect((await listKeys(key.token, `?tenantId=${tenant.id}`)).data.map((k) => k.id)).toEqual([forTenant.id]);
		// Without the ingest scope it posts no events, and it grants no scope it lacks.
		expect((await api(`/v1/tenants/${tenant.id}/events`, { ...event(), token: key.token })).status).toBe(403);
		const wider = await api("/v1/keys", { method: "POST", token: key.token, body: { name: "k", scopes: ["ingest"] } });
		expect(wider.status).toBe(403);
	});
});

describe("the cost of a key", () => {
	it("costs ingest no catalog read per request", async () => {
		const tenant = await createTenant();
		const key = await createKey({ tenantId: tenant.id, scopes: ["ingest"] });
		const catalogReads = async () =>
			((await (await api("/v1/metrics")).json()) as Record<string, number>).catalogReads ?? 0;
		const type = uniqueTag("cost");
		// The first request reads the key and its tenant; the next ones find both cached.
		expect((await api("/v1/events", { ...event(type), token: key.token })).status).toBe(202);
		const before = await catalogReads();
		// One at a time: requests that miss the cache together each read the catalog (no single flight).
		for (let i = 0; i < 50; i++)
			expect((await api("/v1/events", { ...event(type), token: key.token })).status).toBe(202);
		// Nothing, unless the cache expires meanwhile: then the key and its tenant once more.
		expect((await catalogReads()) - before).toBeLessThanOrEqual(2);
	});
});
