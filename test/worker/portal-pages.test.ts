// The tenant portal's pages, inside workerd: a session sees and changes its own
// tenant's webhooks and history and nothing of another tenant's; a read-only
// session changes nothing, refused by the portal and by the API; and the
// in-process principal the portal calls the API with cannot be claimed from
// outside.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { requestAs } from "../../src/access/in-process";
import type { Principal } from "../../src/access/principal";
import { app } from "../../src/app";
import { api, createTenant, createWebhook, seedNotification, uniqueTag } from "./helpers";
import { get, post, session } from "./portal-session";

type Side = { tenant: string; hook: { id: string; secret: string }; name: string; failed: string };

const side = async (label: string): Promise<Side> => {
	const tenant = (await createTenant()).id;
	const name = uniqueTag(`${label}-hook`);
	const hook = await createWebhook(
		{ name, eventTypes: ["loan.created"], url: `${env.RECEIVER_URL}/ok/${name}` },
		{ base: `/v1/tenants/${tenant}` },
	);
	const { id: failed } = await seedNotification(hook.id, { status: "failed", tenantId: tenant });
	return { tenant, hook, name, failed };
};

const webhookOf = async ({ tenant, hook }: Side) => {
	const res = await api(`/v1/tenants/${tenant}/webhooks/${hook.id}`);
	return { status: res.status, body: (await res.json()) as { enabled: boolean; updatedAt: string } };
};

const statusOf = async (tenant: string, id: string) =>
	((await (await api(`/v1/tenants/${tenant}/notifications/${id}`)).json()) as { status: string }).status;

let A: Side;
let B: Side;

beforeAll(async () => {
	A = await side("a");
	B = await side("b");
});

describe("a portal session's pages", () => {
	it("show the tenant's webhooks and history and nothing of another tenant's: its ids are 404", async () => {
		const { cookie, base } = await session(A.tenant);
		const list = await (await get(`${base}/webhooks`, cookie)).text();
		expect(list).toContain(A.name);
		expect(list).not.toContain(B.name);
		const history = await (await get(`${base}/notifications`, cookie)).text();
		expect(history).toContain(`${base}/notifications/${A.failed}`);
		expect(history).not.toContain(B.failed);
		expect((await get(`${base}/webhooks/${A.hook.id}`, cookie)).status).toBe(200);
		for (const path of [
			`/webhooks/${B.hook.id}`,
			`/webhooks/${B.hook.id}/delete`,
			`/notifications/${B.failed}`,
			// An id that would climb to another tenant's path stays one segment.
			`/webhooks/${encodeURIComponent(`../../${B.tenant}/webhooks/${B.hook.id}`)}`,
		]) {
			const res = await get(`${base}${path}`, cookie);
			expect([path, res.status]).toEqual([path, 404]);
		}
		expect(await (await get(`${base}/notifications?webhookId=${B.hook.id}`, cookie)).text()).not.toContain(B.failed);
	});

	it("change nothing of another tenant's, whatever is posted with the session's own token", async () => {
		const { cookie, _csrf, base } = await session(A.tenant);
		const before = await webhookOf(B);
		for (const action of ["delete", "rotate", "test", "disable", "enable"])
			await post(`${base}/webhooks/${B.hook.id}/${action}`, cookie, { _csrf, confirm: "on" });
		await post(`${base}/webhooks/${B.hook.id}`, cookie, { _csrf, name: "taken over", url: "http://127.0.0.1/x" });
		await post(`${base}/notifications/${B.failed}/resend`, cookie, { _csrf });
		const bulk = await post(`${base}/notifications/resend`, cookie, { _csrf, status: "failed", webhookId: B.hook.id });
		expect(await bulk.text()).toContain("0 re-sent.");
		expect(await webhookOf(B)).toEqual(before);
		expect(await statusOf(B.tenant, B.failed)).toBe("failed");
	});

	it("make every change the console makes, as the tenant", async () => {
		const { cookie, _csrf, base } = await session(A.tenant);
		const name = uniqueTag("portal-made");
		const created = await post(`${base}/webhooks`, cookie, {
			_csrf,
			name,
			eventTypes: "loan.created",
			url: `${env.RECEIVER_URL}/ok/${name}`,
			_hasEnabled: "1",
		});
		expect(created.status).toBe(200);
		const html = await created.text();
		expect(html).toMatch(/id="secret">whsec_/);
		const id = new RegExp(`href="${base}/webhooks/(wh_[0-9A-Z]+)"`).exec(html)?.[1] ?? "";
		const own = (await (await api(`/v1/tenants/${A.tenant}/webhooks/${id}`)).json()) as { name: string };
		expect(own.name).toBe(name);

		const outcome = async (path: string, fields: Record<string, string> = {}) =>
			(await post(`${base}${path}`, cookie, { _csrf, ...fields })).headers.get("location") ?? "";
		expect(await outcome(`/webhooks/${id}/disable`)).toContain("ok=disabled");
		expect(await outcome(`/webhooks/${id}/enable`)).toContain("ok=enabled");
		expect(await outcome(`/webhooks/${id}/test`)).toContain("ok=test");
		expect(await (await post(`${base}/webhooks/${id}/rotate`, cookie, { _csrf })).text()).toMatch(/id="secret">whsec_/);
		expect(await outcome(`/notifications/${A.failed}/resend`)).toContain("ok=resent");
		expect(await outcome(`/webhooks/${id}/delete`, { confirm: "on" })).toBe(`${base}/webhooks`);
		expect((await api(`/v1/tenants/${A.tenant}/webhooks/${id}`)).status).toBe(404);
	});
});

describe("a read-only portal session", () => {
	it("shows everything without a way to change it", async () => {
		const { cookie, base } = await session(A.tenant, { readOnly: true });
		const list = await (await get(`${base}/webhooks`, cookie)).text();
		expect(list).toContain(A.name);
		expect(list).toContain("read-only");
		expect(list).not.toContain("New webhook");
		const detail = await (await get(`${base}/webhooks/${A.hook.id}`, cookie)).text();
		expect(detail).toContain(A.hook.id);
		expect(detail).toMatch(/<fieldset class="read-only" disabled/);
		for (const gone of ["Send test event", "Rotate secret", ">Disable<", "Delete…", ">Save<", "preview.js"])
			expect(detail, gone).not.toContain(gone);
		const history = await (await get(`${base}/notifications`, cookie)).text();
		expect(history).toContain(A.failed);
		expect(history).not.toContain("Re-send");
		const notification = await (await get(`${base}/notifications/${A.failed}`, cookie)).text();
		expect(notification).not.toContain("Re-send");
	});

	it("is refused every change by the server (403), also a post the page never offered", async () => {
		const { cookie, _csrf, base } = await session(A.tenant, { readOnly: true });
		const before = await webhookOf(A);
		const { id: failed } = await seedNotification(A.hook.id, { status: "failed", tenantId: A.tenant });
		const posts: [string, Record<string, string>][] = [
			["/webhooks", { name: "nope", url: "http://127.0.0.1/x", eventTypes: "*" }],
			[`/webhooks/${A.hook.id}`, { name: "renamed", url: "http://127.0.0.1/x" }],
			...["delete", "rotate", "test", "disable", "enable"].map((action): [string, Record<string, string>] => [
				`/webhooks/${A.hook.id}/${action}`,
				{ confirm: "on" },
			]),
			["/webhooks/preview", {}],
			["/webhooks/preview-fragment", {}],
			[`/notifications/${failed}/resend`, {}],
			["/notifications/resend", { status: "failed" }],
		];
		for (const [path, fields] of posts) {
			const res = await post(`${base}${path}`, cookie, { _csrf, ...fields });
			expect([path, res.status]).toEqual([path, 403]);
		}
		for (const path of ["/webhooks/new", `/webhooks/${A.hook.id}/delete`, "/notifications/resend?status=failed"])
			expect([path, (await get(`${base}${path}`, cookie)).status]).toEqual([path, 403]);
		expect(await webhookOf(A)).toEqual(before);
		expect(await statusOf(A.tenant, failed)).toBe("failed");
		// Ending the session is not a change to the tenant's data.
		expect((await post(`${base}/logout`, cookie, { _csrf })).status).toBe(401);
	});
});

describe("the portal's in-process principal", () => {
	const principal = (tenantId: string, scopes: Principal["scopes"]): Principal => ({
		tenantId,
		scopes,
		label: "a test portal session",
	});
	const asPortal = (p: Principal, path: string, init: RequestInit = {}) =>
		app.fetch(requestAs(new Request(`http://hookline.internal${path}`, init), p), env);

	it("is authorized as its tenant and scopes only: read-only changes nothing, another tenant's path is 403", async () => {
		const path = `/v1/tenants/${A.tenant}/webhooks/${A.hook.id}`;
		const reader = principal(A.tenant, ["read"]);
		expect((await asPortal(reader, path)).status).toBe(200);
		const patch = { method: "PATCH", headers: { "content-type": "application/json" }, body: '{"enabled":false}' };
		expect((await asPortal(reader, path, patch)).status).toBe(403);
		expect((await asPortal(reader, `/v1/tenants/${A.tenant}/portal-links`, { method: "POST" })).status).toBe(403);
		expect((await asPortal(principal(A.tenant, ["read", "manage"]), `/v1/tenants/${B.tenant}/webhooks`)).status).toBe(
			403,
		);
		expect((await asPortal(principal(A.tenant, ["read", "manage"]), "/v1/tenants")).status).toBe(403);
		expect((await webhookOf(A)).body.enabled).toBe(true);
	});

	it("cannot be claimed by a request from outside, nor by a copy of a granted request", async () => {
		const path = `/v1/tenants/${A.tenant}/webhooks`;
		const granted = requestAs(new Request(`http://hookline.test${path}`), principal(A.tenant, ["read"]));
		expect((await app.fetch(new Request(granted), env)).status).toBe(401);
		expect((await exports.default.fetch(`http://hookline.test${path}`)).status).toBe(401);
		const { cookie } = await session(A.tenant);
		expect((await exports.default.fetch(`http://hookline.test${path}`, { headers: { cookie } })).status).toBe(401);
		expect((await app.fetch(granted, env)).status).toBe(200);
	});
});
