import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { api, INGEST } from "./helpers";

describe("bearer auth", () => {
	it("answers 401 problems without a token or with an unknown one", async () => {
		for (const token of [null, "Bearer nope", "Basic dGVzdA=="]) {
			const res = await api("/v1/webhooks", { token });
			expect(res.status).toBe(401);
			expect(res.headers.get("content-type")).toBe("application/problem+json");
		}
	});

	it("lets the ingest token post events and nothing else (403)", async () => {
		expect((await api("/v1/events", { method: "POST", token: INGEST, body: { type: "a.b", data: {} } })).status).toBe(
			202,
		);
		for (const [method, path] of [
			["GET", "/v1/webhooks"],
			["POST", "/v1/webhooks"],
			["GET", "/v1/notifications"],
		]) {
			const res = await api(path as string, { method, token: INGEST, body: method === "POST" ? {} : undefined });
			expect(res.status).toBe(403);
			expect(((await res.json()) as { detail: string }).detail).toContain("ingest");
		}
	});

	it("accepts every token of a comma-separated list, for rotation", async () => {
		expect((await api("/v1/webhooks", { token: "Bearer test-admin-token-next" })).status).toBe(200);
	});

	it("answers 503 on protected routes when a required secret is missing, and never runs open", async () => {
		for (const missing of ["ADMIN_TOKEN", "INGEST_TOKEN", "ENCRYPTION_KEY"]) {
			const res = await app.request(
				"/v1/webhooks",
				{ headers: { authorization: "Bearer test-admin-token" } },
				{ ...env, [missing]: "" },
			);
			expect(res.status).toBe(503);
			expect(((await res.json()) as { detail: string }).detail).toContain(missing);
		}
		const health = await app.request("/healthz", {}, { ...env, ADMIN_TOKEN: "" });
		expect(health.status).toBe(200);
	});
});
