// The deployment's settings: an explicit value is used as given (0 included),
// and a bad one is refused, naming the setting and why, by the first request of
// any route and by the queue and cron handlers, never replaced by a default.
import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { readConfig } from "../../src/config";
import { sweep } from "../../src/history/sweeper";
import worker from "../../src/index";
import type { DeliveryMessage } from "../../src/queue/messages";
import { ADMIN, createWebhook, defaultShard as env, seedNotification } from "./helpers";

type Problem = { status: number; detail: string; errors: { path: string; message: string }[] };

const answer = async (path: string, settings: Record<string, string>) => {
	const res = await app.request(path, { headers: { authorization: ADMIN } }, { ...env, ...settings });
	return { status: res.status, type: res.headers.get("content-type"), body: (await res.json()) as Problem };
};

describe("settings", () => {
	it("uses an explicit value as given, 0 included where it means something, and the default when unset", () => {
		const config = readConfig({
			...env,
			SWEEP_GRACE_SECONDS: "0",
			RETENTION_DAYS: "7",
			CIRCUIT_COOLDOWN_SECONDS: "0.5",
			CIRCUIT_MAX_COOLDOWN_SECONDS: "4",
			ALLOW_HTTP: "TRUE",
		});
		expect(config).toMatchObject({
			sweepGraceSeconds: 0,
			retentionDays: 7,
			circuitCoolDownSeconds: 0.5,
			circuitMaxCoolDownSeconds: 4,
			targetPolicy: { allowHttp: true },
		});
		const unset = { ...env } as Record<string, unknown>;
		for (const name of ["SWEEP_GRACE_SECONDS", "RETENTION_DAYS", "CIRCUIT_COOLDOWN_SECONDS", "ALLOW_HTTP"])
			delete unset[name];
		expect(readConfig(unset as unknown as Env)).toMatchObject({
			sweepGraceSeconds: 120,
			retentionDays: 30,
			circuitCoolDownSeconds: 30,
			targetPolicy: { allowHttp: false },
		});
	});

	it("re-enqueues at once with SWEEP_GRACE_SECONDS=0 (not the 120 s default)", async () => {
		const hook = await createWebhook({ enabled: false });
		const now = Date.now();
		const { id } = await seedNotification(hook.id, { status: "pending", nextAttemptAt: now - 5_000 });
		await sweep({ ...env, SWEEP_GRACE_SECONDS: "0" }, now);
		const due = await env.DB.prepare("select next_attempt_at t from notifications where id = ?")
			.bind(id)
			.first<{ t: number }>();
		expect(due?.t).toBe(now);
	});

	it.each([
		["RETENTION_DAYS", "0", "a whole number of days, at least 1"],
		["RETENTION_DAYS", "30d", 'a whole number of days, at least 1 (it is "30d")'],
		["RETENTION_DAYS", "-1", "a whole number of days"],
		["SWEEP_GRACE_SECONDS", "1.5", "a whole number of seconds"],
		["SWEEP_GRACE_SECONDS", "two minutes", "a whole number of seconds"],
		["CIRCUIT_COOLDOWN_SECONDS", "0", "a number of seconds, more than 0"],
		["CIRCUIT_COOLDOWN_SECONDS", "1e3", "a number of seconds"],
		["CIRCUIT_MAX_COOLDOWN_SECONDS", "10", "at least CIRCUIT_COOLDOWN_SECONDS (30)"],
		["ALLOW_HTTP", "yes", 'true or false (it is "yes")'],
		["ALLOW_PRIVATE_TARGETS", "1", "true or false"],
		["SENDER_IPS", "203.0.113.7, 203.0.113.300", '"203.0.113.300" is not an IP address or range'],
		["ENCRYPTION_KEY", "too-short", "base64 of 32 random bytes"],
		["EGRESS_PROXY_URL", "egress.example.com/relay", "an absolute URL"],
		["EGRESS_PROXY_URL", "ftp://egress.example.com/relay", "https:"],
		["EGRESS_PROXY_URL", "http://egress.example.com/relay", "http: only to a loopback or private address"],
		["EGRESS_PROXY_URL", "http://203.0.113.9/relay", "http: only to a loopback or private address"],
	])("refuses %s=%j with a 503 naming it on every route", async (name, value, reason) => {
		for (const path of ["/healthz", "/v1/webhooks", "/v1/sender-ips", "/console/login"]) {
			// The first version's settings, without REGIONS (which may not be set with them).
			const { status, type, body } = await answer(path, { REGIONS: "", [name]: value, EGRESS_PROXY_SECRET: "s" });
			expect(status).toBe(503);
			expect(type).toBe("application/problem+json");
			expect(body.errors.map((e) => e.path)).toEqual([name]);
			expect(body.errors[0]?.message).toContain(reason);
			expect(body.detail).toContain(name);
		}
	});

	it("never echoes ENCRYPTION_KEY", async () => {
		const { body } = await answer("/healthz", { ENCRYPTION_KEY: "not-the-real-key-but-a-secret" });
		expect(JSON.stringify(body)).not.toContain("not-the-real-key");
	});

	it("takes an http: egress proxy only on a loopback or private address, with ALLOW_PRIVATE_TARGETS=true", async () => {
		for (const url of ["http://127.0.0.1:9000/relay", "http://[::1]:9000/relay", "http://10.0.0.5/relay"]) {
			const dev = { REGIONS: "", EGRESS_PROXY_URL: url, EGRESS_PROXY_SECRET: "s", ALLOW_PRIVATE_TARGETS: "true" };
			expect((await answer("/v1/sender-ips", dev)).status).toBe(200);
			const production = { ...dev, ALLOW_PRIVATE_TARGETS: "false" };
			expect((await answer("/v1/sender-ips", production)).body.errors[0]?.path).toBe("EGRESS_PROXY_URL");
		}
		const https = { REGIONS: "", EGRESS_PROXY_URL: "https://egress.example.com/relay", EGRESS_PROXY_SECRET: "s" };
		expect((await answer("/v1/sender-ips", { ...https, ALLOW_PRIVATE_TARGETS: "false" })).status).toBe(200);
	});

	it("retries a queue batch without delivering anything while a setting is bad", async () => {
		const batch = createMessageBatch<DeliveryMessage>("hookline-deliveries", [
			{ id: "msg-bad-settings", timestamp: new Date(), attempts: 1, body: { notificationId: "ntf_none" } },
		]);
		const ctx = createExecutionContext();
		await worker.queue(batch, { ...env, RETENTION_DAYS: "forever" }, ctx);
		const result = await getQueueResult(batch, ctx);
		expect(result.retryBatch.retry).toBe(true);
		expect(result.explicitAcks).toEqual([]);
	});

	it("fails the cron run, naming the setting, while a setting is bad", async () => {
		const controller = createScheduledController({ cron: "* * * * *" });
		await expect(worker.scheduled(controller, { ...env, SWEEP_GRACE_SECONDS: "soon" })).rejects.toThrow(
			/SWEEP_GRACE_SECONDS/,
		);
	});
});
