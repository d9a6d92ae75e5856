// The two forms of every tenant route: unprefixed, an operator secret still
// acts for the `default` tenant as in the first version; prefixed, it acts for
// the tenant named. And the OpenAPI document that describes both.

import { describe, expect, it } from "vitest";
import {
	ADMIN,
	api,
	createKey,
	createTenant,
	createWebhook,
	defaultShard as env,
	eventually,
	INGEST,
	readEveryShard,
	received,
	uniqueTag,
} from "./helpers";

type Notification = { id: string; webhookId: string; eventId: string; status: string };

const listOf = async <T>(path: string, token = ADMIN) => {
	const res = await api(path, { token });
	expect(res.status, path).toBe(200);
	return ((await res.json()) as { data: T[] }).data;
};

const tenantOfRow = async (table: "webhooks" | "notifications", id: string) =>
	(await readEveryShard<{ t: string }>(`select tenant_id t from ${table} where id = ?`, id))[0]?.t;

describe("unprefixed, for operator secrets", () => {
	it("keeps the first version's API on the default tenant", async () => {
		const type = uniqueTag("default.case");
		const tag = uniqueTag("default-hook");
		const hook = await createWebhook({ eventTypes: [type], url: `${env.RECEIVER_URL}/ok/${tag}` });
		expect(await tenantOfRow("webhooks", hook.id)).toBe("default");
		expect((await listOf<{ id: string }>("/v1/webhooks?limit=200")).map((w) => w.id)).toContain(hook.id);
		const same = await api(`/v1/tenants/default/webhooks/${hook.id}`);
		expect(same.status).toBe(200);
		expect(await same.json()).toEqual(await (await api(`/v1/webhooks/${hook.id}`)).json());

		const ingest = await api("/v1/events", { method: "POST", token: INGEST, body: { type, data: { n: 1 } } });
		expect(ingest.status).toBe(202);
		const { id: eventId, notifications } = (await ingest.json()) as { id: string; notifications: number };
		expect(notifications).toBe(1);
		const [delivered] = await eventually(async () => {
			const found = await listOf<Notification>(`/v1/notifications?eventId=${eventId}&status=delivered`);
			return found.length === 1 ? found : undefined;
		});
		expect(delivered?.webhookId).toBe(hook.id);
		expect(await tenantOfRow("notifications", delivered?.id ?? "")).toBe("default");
		expect(await listOf(`/v1/tenants/default/notifications?eventId=${eventId}`)).toEqual(
			await listOf(`/v1/notifications?eventId=${eventId}`),
		);
		const detail = await api(`/v1/notifications/${delivered?.id}`);
		expect(detail.status).toBe(200);
		expect(((await detail.json()) as { event: { id: string } }).event.id).toBe(eventId);
		expect((await api(`/v1/notifications/${delivered?.id}/resend`, { method: "POST" })).status).toBe(202);
		await eventually(async () => ((await received(tag)).length === 2 ? true : undefined));
	});

	it("lets the ingest token post to any tenant's path, and only there", async () => {
		const tenant = await createTenant();
		const type = uniqueTag("ingest.case");
		const tag = uniqueTag("tenant-hook");
		const hook = await createWebhook(
			{ eventTypes: [type], url: `${env.RECEIVER_URL}/ok/${tag}` },
			{ base: `/v1/tenants/${tenant.id}` },
		);
		expect(await tenantOfRow("webhooks", hook.id)).toBe(tenant.id);
		const defaultTag = uniqueTag("default-hook");
		await createWebhook({ eventTypes: [type], url: `${env.RECEIVER_URL}/ok/${defaultTag}` });
		const res = await api(`/v1/tenants/${tenant.id}/events`, {
			method: "POST",
			token: INGEST,
			body: { type, data: {} },
		});
		expect(res.status).toBe(202);
		expect(((await res.json()) as { notifications: number }).notifications).toBe(1);
		await eventually(async () => ((await received(tag)).length === 1 ? true : undefined));
		expect(await received(defaultTag)).toEqual([]);
		expect((await api(`/v1/tenants/${tenant.id}/webhooks`, { token: INGEST })).status).toBe(403);
	});

	it("treats a key of the default tenant like the first version's clients", async () => {
		const key = await createKey({ tenantId: "default", scopes: ["read"] });
		const hook = await createWebhook();
		expect((await api(`/v1/webhooks/${hook.id}`, { token: key.token })).status).toBe(200);
		expect((await api(`/v1/tenants/default/webhooks/${hook.id}`, { token: key.token })).status).toBe(200);
		const other = await createTenant();
		expect((await api(`/v1/tenants/${other.id}/webhooks`, { token: key.token })).status).toBe(403);
	});
});

type Operation = { security?: { bearer: string[] }[]; parameters?: { name: string; in: string }[] };
type PathItem = Record<string, Operation> & { parameters?: { name: string; in: string; required?: boolean }[] };
type Document = {
	openapi: string;
	paths: Record<string, PathItem>;
	components: { securitySchemes: Record<string, { type: string; scheme: string }> };
};

const METHODS = ["get", "post", "put", "patch", "delete"] as const;
/** Every route a tenant owns, unprefixed; each has a /v1/tenants/{tenantId}/… twin. */
const TENANT_ROUTES = [
	"/v1/events",
	"/v1/webhooks",
	"/v1/webhooks/{id}",
	"/v1/webhooks/{id}/rotate-secret",
	"/v1/webhooks/{id}/test",
	"/v1/webhooks/preview",
	"/v1/webhooks/{id}/health",
	"/v1/webhooks/{id}/enable",
	"/v1/webhooks/{id}/replay",
	"/v1/notifications",
	"/v1/notifications/{id}",
	"/v1/notifications/{id}/resend",
	"/v1/notifications/resend",
	"/v1/subscriptions",
	"/v1/subscriptions/{id}",
	"/v1/subscriptions/{id}/events",
	"/v1/subscriptions/{id}/cursors",
];
const PUBLIC = ["/healthz", "/v1/sender-ips"];

describe("the OpenAPI document", () => {
	const load = async () => {
		const res = await api("/openapi.json", { token: null });
		expect(res.status).toBe(200);
		return (await res.json()) as Document;
	};

	it("lists tenants, keys and every tenant route under /v1/tenants/{tenantId}", async () => {
		const doc = await load();
		expect(doc.openapi).toMatch(/^3\.1\./);
		for (const path of ["/v1/tenants", "/v1/tenants/{id}", "/v1/keys", "/v1/keys/{id}"])
			expect(Object.keys(doc.paths)).toContain(path);
		expect(Object.keys(doc.paths["/v1/tenants"] ?? {})).toEqual(expect.arrayContaining(["get", "post"]));
		expect(Object.keys(doc.paths["/v1/tenants/{id}"] ?? {})).toEqual(
			expect.arrayContaining(["get", "patch", "delete"]),
		);
		const unprefixed = Object.keys(doc.paths).filter((p) =>
			/^\/v1\/(webhooks|events|notifications|subscriptions)\b/.test(p),
		);
		expect(unprefixed.sort()).toEqual([...TENANT_ROUTES, "/v1/webhooks/reseal"].sort());
		for (const path of TENANT_ROUTES) {
			const prefixed = doc.paths[`/v1/tenants/{tenantId}${path.slice("/v1".length)}`];
			expect(prefixed, path).toBeDefined();
			expect(Object.keys(prefixed ?? {}).filter((k) => k !== "parameters")).toEqual(Object.keys(doc.paths[path] ?? {}));
			expect(prefixed?.parameters).toContainEqual(
				expect.objectContaining({ name: "tenantId", in: "path", required: true }),
			);
		}
		// Resealing is the operator's, for every tenant at once: there is no tenant form of it.
		expect(doc.paths["/v1/tenants/{tenantId}/webhooks/reseal"]).toBeUndefined();
		expect(doc.paths["/v1/webhooks/reseal"]?.post).toBeDefined();
	});

	it("declares the bearer scheme, and each protected operation names the scope it needs", async () => {
		const doc = await load();
		expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
		for (const [path, item] of Object.entries(doc.paths)) {
			for (const method of METHODS) {
				const operation = item[method];
				if (!operation) continue;
				if (PUBLIC.includes(path)) {
					expect(operation.security, `${method} ${path}`).toBeUndefined();
					continue;
				}
				// Ingest posts events; committing a stream's cursor is part of reading it.
				const ingest = /^\/v1(\/tenants\/\{tenantId\})?\/events$/.test(path);
				const scope = ingest ? "ingest" : method === "get" || path.endsWith("/cursors") ? "read" : "manage";
				// A portal link hands out the portal's reading too, so making one needs both.
				const scopes = path.endsWith("/portal-links") ? ["manage", "read"] : [scope];
				expect(operation.security, `${method} ${path}`).toEqual([{ bearer: scopes }]);
			}
		}
	});
});
