// /v1/tenants: the operator's tenants, what deleting one stops, and that
// nobody but an operator reaches them.

import { describe, expect, it } from "vitest";
import {
	api,
	createKey,
	createTenant,
	createWebhook,
	historyOf,
	INGEST,
	seedNotification,
	type TenantJson,
	uniqueTag,
} from "./helpers";

type Problem = { status: number; detail: string; errors?: { path: string; message: string }[] };

const TENANT_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

const problemPaths = async (res: Response) => ((await res.json()) as Problem).errors?.map((e) => e.path) ?? [];

describe("creating tenants", () => {
	it("takes a chosen id and answers it with its defaults and a location", async () => {
		const id = uniqueTag("acme-bank");
		const res = await api("/v1/tenants", { method: "POST", body: { id, name: "Acme Bank" } });
		expect(res.status).toBe(201);
		expect(res.headers.get("location")).toBe(`/v1/tenants/${id}`);
		const tenant = (await res.json()) as TenantJson;
		// The deployment's first region (vitest.config.ts names eu, then us).
		expect(tenant).toMatchObject({ id, name: "Acme Bank", region: "eu", portalOrigins: [] });
		expect(Date.parse(tenant.createdAt)).toBeGreaterThan(0);
		expect(tenant.updatedAt).toBe(tenant.createdAt);
		const read = await api(`/v1/tenants/${id}`);
		expect(read.status).toBe(200);
		expect(await read.json()).toEqual(tenant);
	});

	it("generates a tnt_ id when none is given", async () => {
		const res = await api("/v1/tenants", { method: "POST", body: { name: "No id" } });
		expect(res.status).toBe(201);
		const { id } = (await res.json()) as TenantJson;
		expect(id).toMatch(/^tnt_/);
		expect(id).toMatch(TENANT_ID);
		expect((await api(`/v1/tenants/${id}`)).status).toBe(200);
	});

	it("answers 409 for an id taken, by a live tenant or a deleted one", async () => {
		const live = await createTenant();
		const again = await api("/v1/tenants", { method: "POST", body: { id: live.id, name: "Again" } });
		expect(again.status).toBe(409);
		expect(again.headers.get("content-type")).toBe("application/problem+json");
		const gone = await createTenant();
		expect((await api(`/v1/tenants/${gone.id}`, { method: "DELETE" })).status).toBe(204);
		expect((await api("/v1/tenants", { method: "POST", body: { id: gone.id, name: "Reused" } })).status).toBe(409);
		expect((await api("/v1/tenants", { method: "POST", body: { id: "default", name: "Default" } })).status).toBe(409);
	});

	it.each(["Acme", "-acme", "_acme", "acme bank", "acme.bank", "a".repeat(64), ""])(
		"refuses the id %j with a 400 naming id",
		async (id) => {
			const res = await api("/v1/tenants", { method: "POST", body: { id, name: "Bad id" } });
			expect(res.status).toBe(400);
			expect(await problemPaths(res)).toContain("id");
		},
	);

	it("refuses a region the deployment does not name, and an origin with a path", async () => {
		const region = await api("/v1/tenants", { method: "POST", body: { name: "R", region: "ap" } });
		expect(region.status).toBe(400);
		expect(await problemPaths(region)).toContain("region");
		const origin = await api("/v1/tenants", {
			method: "POST",
			body: { name: "O", portalOrigins: ["https://app.example.com/portal"] },
		});
		expect(origin.status).toBe(400);
		expect((await problemPaths(origin)).some((p) => p.startsWith("portalOrigins"))).toBe(true);
	});
});

describe("listing, reading and changing tenants", () => {
	it("lists every live tenant by id, page by page, until nextCursor is null", async () => {
		const prefix = uniqueTag("page");
		const mine = [`${prefix}-c`, `${prefix}-a`, `${prefix}-b`];
		for (const id of mine) await createTenant({ id });
		const gone = await createTenant({ id: `${prefix}-d` });
		await api(`/v1/tenants/${gone.id}`, { method: "DELETE" });
		const seen: string[] = [];
		let cursor: string | null = null;
		for (let pages = 0; pages < 500; pages++) {
			const res = await api(`/v1/tenants?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
			expect(res.status).toBe(200);
			const page = (await res.json()) as { data: TenantJson[]; nextCursor: string | null };
			expect(page.data.length).toBeLessThanOrEqual(2);
			seen.push(...page.data.map((t) => t.id));
			cursor = page.nextCursor;
			if (cursor === null) break;
		}
		expect(cursor).toBeNull();
		expect(seen).toEqual([...seen].sort());
		expect(new Set(seen).size).toBe(seen.length);
		expect(seen.filter((id) => id.startsWith(prefix))).toEqual([`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
		expect(seen).toContain("default");
		expect((await api("/v1/tenants?cursor=bm90LWEtdGVuYW50IQ")).status).toBe(400);
	});

	it("changes name, region and portal origins, and refuses a region that is not configured", async () => {
		const tenant = await createTenant();
		const res = await api(`/v1/tenants/${tenant.id}`, {
			method: "PATCH",
			body: { name: "Renamed", portalOrigins: ["https://portal.example.com", "http://localhost:8788"] },
		});
		expect(res.status).toBe(200);
		const changed = (await res.json()) as TenantJson;
		expect(changed).toMatchObject({
			id: tenant.id,
			name: "Renamed",
			region: "eu",
			portalOrigins: ["https://portal.example.com", "http://localhost:8788"],
			createdAt: tenant.createdAt,
		});
		expect(Date.parse(changed.updatedAt)).toBeGreaterThanOrEqual(Date.parse(tenant.updatedAt));
		expect(await (await api(`/v1/tenants/${tenant.id}`)).json()).toEqual(changed);

		const region = await api(`/v1/tenants/${tenant.id}`, { method: "PATCH", body: { region: "eu-west" } });
		expect(region.status).toBe(400);
		expect(await problemPaths(region)).toContain("region");
		// null is "no region", which a deployment that names regions has not.
		const none = await api(`/v1/tenants/${tenant.id}`, { method: "PATCH", body: { region: null } });
		expect(none.status).toBe(400);
		expect(await problemPaths(none)).toContain("region");
		expect((await api(`/v1/tenants/${tenant.id}`, { method: "PATCH", body: { region: "us" } })).status).toBe(200);
		expect(await (await api(`/v1/tenants/${tenant.id}`)).json()).toMatchObject({ name: "Renamed", region: "us" });
	});

	it("answers 404 for a tenant that does not exist", async () => {
		const id = uniqueTag("nobody");
		expect((await api(`/v1/tenants/${id}`)).status).toBe(404);
		expect((await api(`/v1/tenants/${id}`, { method: "PATCH", body: { name: "x" } })).status).toBe(404);
		expect((await api(`/v1/tenants/${id}`, { method: "DELETE" })).status).toBe(404);
		expect((await api(`/v1/tenants/${id}/webhooks`)).status).toBe(404);
		const ingest = await api(`/v1/tenants/${id}/events`, { method: "POST", body: { type: "a.b", data: {} } });
		expect(ingest.status).toBe(404);
	});
});

describe("deleting a tenant", () => {
	it("stops its routes, its keys, its webhooks and what was open for them", async () => {
		const tenant = await createTenant();
		const base = `/v1/tenants/${tenant.id}`;
		const key = await createKey({ tenantId: tenant.id });
		const hook = await createWebhook({}, { token: key.token, base });
		const open = await seedNotification(hook.id, { status: "retrying", tenantId: tenant.id });
		const done = await seedNotification(hook.id, { status: "delivered", tenantId: tenant.id });
		expect((await api("/v1/webhooks", { token: key.token })).status).toBe(200);

		expect((await api(base, { method: "DELETE" })).status).toBe(204);

		expect((await api(base)).status).toBe(404);
		expect((await api(base, { method: "PATCH", body: { name: "x" } })).status).toBe(404);
		expect((await api(base, { method: "DELETE" })).status).toBe(404);
		expect((await api(`${base}/webhooks`)).status).toBe(404);
		expect((await api(`${base}/notifications`)).status).toBe(404);
		expect((await api(`${base}/webhooks/${hook.id}`)).status).toBe(404);
		const ingest = await api(`${base}/events`, { method: "POST", body: { type: "a.b", data: {} } });
		expect(ingest.status).toBe(404);
		// Revoked in the isolate that deleted it: at once, not after the cache's time.
		for (const path of ["/v1/webhooks", `${base}/webhooks`, "/v1/keys"])
			expect((await api(path, { token: key.token })).status).toBe(401);
		const keyIngest = await api("/v1/events", { method: "POST", token: key.token, body: { type: "a.b", data: {} } });
		expect(keyIngest.status).toBe(401);
		const keys = (await (await api(`/v1/keys?tenantId=${tenant.id}`)).json()) as { data: unknown[] };
		expect(keys.data).toEqual([]);

		const history = await historyOf(tenant.id);
		const hookRow = await history.DB.prepare("select deleted_at from webhooks where id = ?")
			.bind(hook.id)
			.first<{ deleted_at: number | null }>();
		expect(hookRow?.deleted_at).not.toBeNull();
		const statusOf = (id: string) =>
			history.DB.prepare("select status, last_error from notifications where id = ?")
				.bind(id)
				.first<{ status: string; last_error: string | null }>();
		expect(await statusOf(open.id)).toEqual({ status: "failed", last_error: "tenant deleted" });
		expect((await statusOf(done.id))?.status).toBe("delivered");
		// Nothing is created for it any more, not even by the operator.
		const newKey = await api("/v1/keys", {
			method: "POST",
			body: { name: "k", tenantId: tenant.id, scopes: ["read"] },
		});
		expect(newKey.status).toBe(400);
	});

	it("never deletes the default tenant (409)", async () => {
		const res = await api("/v1/tenants/default", { method: "DELETE" });
		expect(res.status).toBe(409);
		expect((await api("/v1/tenants/default")).status).toBe(200);
		expect((await api("/v1/webhooks")).status).toBe(200);
	});
});

describe("who reaches /v1/tenants", () => {
	it("refuses a tenant's key, even one with every scope (403)", async () => {
		const tenant = await createTenant();
		const key = await createKey({ tenantId: tenant.id });
		for (const [method, path, body] of [
			["GET", "/v1/tenants"],
			["POST", "/v1/tenants", { name: "Mine" }],
			["GET", `/v1/tenants/${tenant.id}`],
			["PATCH", `/v1/tenants/${tenant.id}`, { name: "Mine" }],
			["DELETE", `/v1/tenants/${tenant.id}`],
			["GET", "/v1/tenants/default"],
		] as [string, string, unknown?][]) {
			const res = await api(path, { method, token: key.token, body });
			expect(res.status, `${method} ${path}`).toBe(403);
		}
		expect(((await (await api(`/v1/tenants/${tenant.id}`)).json()) as TenantJson).name).toBe("Test tenant");
	});

	it("needs the read scope to read and manage to change; no secret is a 401", async () => {
		expect((await api("/v1/tenants", { token: null })).status).toBe(401);
		expect((await api("/v1/tenants", { token: INGEST })).status).toBe(403);
		const reader = await createKey({ tenantId: null, scopes: ["read"] });
		expect((await api("/v1/tenants", { token: reader.token })).status).toBe(200);
		expect((await api("/v1/tenants/default", { token: reader.token })).status).toBe(200);
		const create = await api("/v1/tenants", { method: "POST", token: reader.token, body: { name: "No" } });
		expect(create.status).toBe(403);
		const manager = await createKey({ tenantId: null, scopes: ["manage"] });
		expect((await api("/v1/tenants", { token: manager.token })).status).toBe(403);
		const made = await api("/v1/tenants", { method: "POST", token: manager.token, body: { name: "Yes" } });
		expect(made.status).toBe(201);
	});
});
