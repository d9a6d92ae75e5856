import { describe, expect, it } from "vitest";
import { api, INGEST } from "./helpers";

describe("meta routes", () => {
	it("answers /healthz without auth", async () => {
		const res = await api("/healthz", { token: null });
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ status: "ok" });
	});

	it("lists the configured sender IPs without auth, every address once and by region", async () => {
		const res = await api("/v1/sender-ips", { token: null });
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({
			ips: ["203.0.113.7", "198.51.100.9", "192.0.2.44"],
			regions: [
				{ name: "eu", ips: ["203.0.113.7", "198.51.100.9"] },
				{ name: "us", ips: ["192.0.2.44", "198.51.100.9"] },
			],
		});
	});

	it("documents every route of the contract in /openapi.json", async () => {
		const res = await api("/openapi.json", { token: null });
		expect(res.status).toBe(200);
		const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
		expect(doc.openapi).toBe("3.1.0");
		const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
			Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
		);
		expect(routes).toEqual(
			expect.arrayContaining([
				"POST /v1/events",
				"POST /v1/webhooks",
				"GET /v1/webhooks",
				"GET /v1/webhooks/{id}",
				"PATCH /v1/webhooks/{id}",
				"DELETE /v1/webhooks/{id}",
				"POST /v1/webhooks/{id}/rotate-secret",
				"GET /v1/notifications",
				"GET /v1/notifications/{id}",
				"GET /v1/sender-ips",
				"GET /healthz",
			]),
		);
	});

	it("counts what ingest costs at /v1/metrics, for admins only", async () => {
		expect((await api("/v1/metrics", { token: INGEST })).status).toBe(403);
		const before = (await (await api("/v1/metrics")).json()) as Record<string, number>;
		await api("/v1/events", { method: "POST", token: INGEST, body: { type: "metrics.checked", data: {} } });
		const after = (await (await api("/v1/metrics")).json()) as Record<string, number>;
		expect(after.eventsIngested).toBe((before.eventsIngested ?? 0) + 1);
		expect(after.d1IngestWriteStatements).toBeGreaterThan(before.d1IngestWriteStatements ?? 0);
	});

	it("answers an unknown route with a 404 problem", async () => {
		const res = await api("/v1/nothing-here");
		expect(res.status).toBe(404);
		expect(res.headers.get("content-type")).toBe("application/problem+json");
		expect(await res.json()).toMatchObject({ status: 404, title: "Not Found" });
	});
});
