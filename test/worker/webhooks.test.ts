import { describe, expect, it } from "vitest";
import { api, createWebhook, defaultShard as env } from "./helpers";

type Problem = { status: number; title: string; detail: string; errors?: { path: string; message: string }[] };

const problemOf = async (res: Response) => {
	expect(res.headers.get("content-type")).toBe("application/problem+json");
	return (await res.json()) as Problem;
};

const validHook = () => ({ name: "hook", eventTypes: ["loan.*"], url: `${env.RECEIVER_URL}/ok/x` });

describe("POST /v1/webhooks", () => {
	it("creates a webhook with defaults and returns its whsec_ secret once", async () => {
		const res = await api("/v1/webhooks", {
			method: "POST",
			body: { ...validHook(), auth: { type: "basic", username: "acme", password: "s3cret" } },
		});
		expect(res.status).toBe(201);
		const hook = (await res.json()) as Record<string, unknown>;
		expect(hook).toMatchObject({
			name: "hook",
			enabled: true,
			method: "POST",
			contentType: "application/json",
			headers: {},
			payloadTemplate: null,
			auth: { type: "basic", username: "acme" },
			retryPolicy: { delaysSeconds: [5, 300, 1800, 7200] },
			timeoutMs: 15000,
		});
		expect(hook.id).toMatch(/^wh_[0-9A-Z]{26}$/);
		expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
		expect(JSON.stringify(hook)).not.toContain("s3cret");
		expect(res.headers.get("location")).toBe(`/v1/webhooks/${hook.id}`);

		const read = (await (await api(`/v1/webhooks/${hook.id}`)).json()) as Record<string, unknown>;
		expect(read.secret).toBeUndefined();
		expect(JSON.stringify(read)).not.toContain("s3cret");
	});

	it("stores the password and the secret sealed, not in plain text", async () => {
		const hook = await createWebhook({ auth: { type: "basic", username: "acme", password: "plain-pass-123" } });
		const row = await env.DB.prepare("select * from webhooks where id = ?")
			.bind(hook.id)
			.first<Record<string, string>>();
		expect(JSON.stringify(row)).not.toContain("plain-pass-123");
		expect(JSON.stringify(row)).not.toContain(hook.secret.slice(6));
		expect(row?.auth_password_sealed).toMatch(/^v2\.[0-9a-f]{16}\./);
	});

	it.each([
		[{ name: "" }, "name"],
		[{ eventTypes: [] }, "eventTypes"],
		[{ eventTypes: ["loan.*.x"] }, "eventTypes.0"],
		[{ method: "GET" }, "method"],
		[{ contentType: "application/yaml" }, "contentType"],
		[{ headers: { Host: "evil" } }, "headers.Host"],
		[{ headers: { "x-ok": "a\r\nb" } }, "headers.x-ok"],
		[{ headers: { "bad header": "v" } }, "headers.bad header"],
		[{ auth: { type: "basic", username: "a:b", password: "p" } }, "auth.username"],
		[{ auth: { type: "digest", username: "a", password: "p" } }, "auth.type"],
		[{ retryPolicy: { delaysSeconds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] } }, "retryPolicy.delaysSeconds"],
		[{ retryPolicy: { delaysSeconds: [50_000] } }, "retryPolicy.delaysSeconds.0"],
		[{ timeoutMs: 60_000 }, "timeoutMs"],
		[{ surprise: true }, "(body)"],
		[{ url: "ftp://example.com/x" }, "url"],
		[{ url: "not a url {{event.id}}" }, "url"],
		[{ url: "https://user:pw@example.com/" }, "url"],
		[{ url: "https://example.com/{{#event}}" }, "url"],
		[{ payloadTemplate: '{"a": {{data.amount}} }' }, "payloadTemplate"],
		[{ payloadTemplate: "{{#data}}" }, "payloadTemplate"],
		[{ url: "https://{{{data.host}}}/x" }, "url"],
		[{ url: "https://example.com/{{& data.path}}" }, "url"],
		[{ contentType: "application/xml", payloadTemplate: "<a>{{data.x}}" }, "payloadTemplate"],
		[{ headers: { "X-A": "1", "x-a": "2" } }, "headers.x-a"],
		[{ contentType: "application/xml" }, "payloadTemplate"],
	])("refuses %j with a 400 naming %s", async (change, path) => {
		const res = await api("/v1/webhooks", { method: "POST", body: { ...validHook(), ...change } });
		expect(res.status).toBe(400);
		const problem = await problemOf(res);
		expect(problem.errors?.map((e) => e.path)).toContain(path);
		expect(problem.detail).toContain(path);
	});

	it("names the position where a JSON template renders invalid JSON", async () => {
		const res = await api("/v1/webhooks", {
			method: "POST",
			body: { ...validHook(), payloadTemplate: '{"amount": {{data.amount}}}' },
		});
		const problem = await problemOf(res);
		expect(problem.errors?.[0]?.message).toMatch(/position \d+/);
	});

	it("accepts XML and text templates and a whole JSON value placed with {{#json}}", async () => {
		for (const body of [
			{ contentType: "application/xml", payloadTemplate: "<loan id='{{data.id}}'/>" },
			{ contentType: "text/plain", payloadTemplate: "loan {{data.id}}" },
			{ payloadTemplate: '{"amount": {{#json}}data.amount{{/json}}, "id": "{{event.id}}"}' },
		]) {
			const res = await api("/v1/webhooks", { method: "POST", body: { ...validHook(), ...body } });
			expect(res.status, await res.clone().text()).toBe(201);
		}
	});

	it("answers 415 to a body that is not JSON and 400 to malformed JSON", async () => {
		const wrongType = await api("/v1/webhooks", {
			method: "POST",
			body: "name=x",
			headers: { "content-type": "application/x-www-form-urlencoded" },
		});
		expect(wrongType.status).toBe(415);
		await problemOf(wrongType);
		const malformed = await api("/v1/webhooks", { method: "POST", body: "{not json" });
		expect(malformed.status).toBe(400);
		await problemOf(malformed);
	});
});

describe("reading, changing and deleting webhooks", () => {
	it("pages through the list newest first with a cursor", async () => {
		const made = [];
		for (let i = 0; i < 3; i++) made.push(await createWebhook({ name: `page-${i}` }));
		const first = (await (await api("/v1/webhooks?limit=2")).json()) as { data: { id: string }[]; nextCursor: string };
		expect(first.data).toHaveLength(2);
		expect(first.data[0]?.id).toBe(made[2]?.id);
		expect(first.data[1]?.id).toBe(made[1]?.id);
		expect(first.nextCursor).toBeTruthy();
		const second = (await (await api(`/v1/webhooks?limit=2&cursor=${first.nextCursor}`)).json()) as {
			data: { id: string }[];
		};
		expect(second.data[0]?.id).toBe(made[0]?.id);
	});

	it("refuses a bad limit or cursor with a 400 naming it", async () => {
		const limit = await problemOf(await api("/v1/webhooks?limit=500"));
		expect(limit.errors?.map((e) => e.path)).toEqual(["query.limit"]);
		const cursor = await problemOf(await api("/v1/webhooks?cursor=bm9wZQ"));
		expect(cursor.errors?.map((e) => e.path)).toEqual(["cursor"]);
	});

	it("patches only the fields sent and keeps the stored password when auth.password is empty", async () => {
		const hook = await createWebhook({ auth: { type: "basic", username: "acme", password: "keep-me" } });
		const before = await env.DB.prepare("select auth_password_sealed p from webhooks where id = ?")
			.bind(hook.id)
			.first<{ p: string }>();
		const res = await api(`/v1/webhooks/${hook.id}`, {
			method: "PATCH",
			body: { name: "renamed", auth: { type: "basic", username: "acme2", password: "" } },
		});
		expect(res.status).toBe(200);
		const changed = (await res.json()) as Record<string, unknown>;
		expect(changed).toMatchObject({ name: "renamed", url: hook.url, auth: { type: "basic", username: "acme2" } });
		const after = await env.DB.prepare("select auth_password_sealed p from webhooks where id = ?")
			.bind(hook.id)
			.first<{ p: string }>();
		expect(after?.p).toBe(before?.p);
	});

	it("re-checks templates on patch against the new content type", async () => {
		const hook = await createWebhook({ contentType: "text/plain", payloadTemplate: "amount {{data.amount}}" });
		const res = await api(`/v1/webhooks/${hook.id}`, { method: "PATCH", body: { contentType: "application/json" } });
		expect(res.status).toBe(400);
		expect((await problemOf(res)).errors?.[0]?.path).toBe("payloadTemplate");
		const unchanged = (await (await api(`/v1/webhooks/${hook.id}`)).json()) as Record<string, unknown>;
		expect(unchanged.contentType).toBe("text/plain");
	});

	it("answers 404 problems for unknown and deleted webhooks", async () => {
		const hook = await createWebhook();
		expect((await api(`/v1/webhooks/${hook.id}`, { method: "DELETE" })).status).toBe(204);
		for (const [method, body] of [["GET"], ["PATCH", { name: "x" }], ["DELETE"], ["POST"]] as const) {
			const path = method === "POST" ? `/v1/webhooks/${hook.id}/rotate-secret` : `/v1/webhooks/${hook.id}`;
			const res = await api(path, { method, body });
			expect(res.status).toBe(404);
			await problemOf(res);
		}
		const list = (await (await api("/v1/webhooks?limit=200")).json()) as { data: { id: string }[] };
		expect(list.data.map((w) => w.id)).not.toContain(hook.id);
	});

	it("rotates the signing secret and returns the new one once", async () => {
		const hook = await createWebhook();
		const res = await api(`/v1/webhooks/${hook.id}/rotate-secret`, { method: "POST" });
		expect(res.status).toBe(200);
		const { secret } = (await res.json()) as { secret: string };
		expect(secret).toMatch(/^whsec_/);
		expect(secret).not.toBe(hook.secret);
	});
});
