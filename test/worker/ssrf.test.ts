// The target policy where it applies: at create and patch (400 naming url),
// when a rendered URL is refused at send (a failed attempt that is not
// retried), and at the last step before a stored request goes out. The worker
// tests run with ALLOW_PRIVATE_TARGETS=true so they can reach the local
// receiver; these cases run the same app and consumer with production settings.

import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { sendAttempt } from "../../src/attempt/send";
import { deliver } from "../../src/delivery/consumer";
import { STRICT_POLICY } from "../../src/security/target";
import { ADMIN, api, createWebhook, defaultShard as env, received, seedNotification, uniqueTag } from "./helpers";

const production = { ...env, ALLOW_PRIVATE_TARGETS: "false", ALLOW_HTTP: "false" };

const asProduction = (path: string, method: string, body: unknown) =>
	app.request(
		path,
		{ method, headers: { authorization: ADMIN, "content-type": "application/json" }, body: JSON.stringify(body) },
		production,
	);

type Problem = { status: number; errors: { path: string; message: string }[] };

describe("target policy in the worker", () => {
	it.each([
		["https://169.254.169.254/latest/meta-data/", /link-local/],
		["https://[::ffff:10.0.0.1]/hook", /IPv4-mapped/],
		["https://0x7f000001/hook", /loopback/],
		["https://localhost/hook", /local host name/],
		["http://example.com/hook", /http: is not allowed/],
		["https://user:pw@example.com/hook", /credentials/],
	])("refuses to create a webhook for %s with a 400 naming url", async (url, why) => {
		const res = await asProduction("/v1/webhooks", "POST", { name: "ssrf", eventTypes: ["a.b"], url });
		expect(res.status).toBe(400);
		expect(res.headers.get("content-type")).toBe("application/problem+json");
		const problem = (await res.json()) as Problem;
		expect(problem.errors[0]?.path).toBe("url");
		expect(problem.errors[0]?.message).toMatch(why);
	});

	it("refuses to patch a webhook to a private address, and keeps what was stored", async () => {
		const created = await asProduction("/v1/webhooks", "POST", {
			name: "public",
			eventTypes: ["a.b"],
			url: "https://hooks.example.com/in",
		});
		expect(created.status).toBe(201);
		const { id } = (await created.json()) as { id: string };
		const res = await asProduction(`/v1/webhooks/${id}`, "PATCH", { url: "https://192.168.0.10/in" });
		expect(res.status).toBe(400);
		expect(((await res.json()) as Problem).errors[0]?.message).toMatch(/private/);
		const stored = (await (await api(`/v1/webhooks/${id}`)).json()) as { url: string };
		expect(stored.url).toBe("https://hooks.example.com/in");
	});

	it("allows http: to a public host when ALLOW_HTTP is set", async () => {
		const res = await app.request(
			"/v1/webhooks",
			{
				method: "POST",
				headers: { authorization: ADMIN, "content-type": "application/json" },
				body: JSON.stringify({ name: "http", eventTypes: ["a.b"], url: "http://hooks.example.com/in" }),
			},
			{ ...production, ALLOW_HTTP: "true" },
		);
		expect(res.status).toBe(201);
	});

	it("records a URL refused at send as a failed attempt with the reason, and does not retry it", async () => {
		// Created where private targets are allowed; delivered under production settings.
		const tag = uniqueTag("ssrf-send");
		const webhook = await createWebhook({ url: `${env.RECEIVER_URL}/ok/${tag}` });
		const { id } = await seedNotification(webhook.id);
		const decision = await deliver(production, id);
		expect(decision).toEqual({ ack: true });
		const detail = (await (await api(`/v1/notifications/${id}`)).json()) as {
			status: string;
			attempts: { errorKind: string; error: string }[];
		};
		expect(detail.status).toBe("failed");
		expect(detail.attempts).toHaveLength(1);
		expect(detail.attempts[0]?.errorKind).toBe("blocked");
		expect(detail.attempts[0]?.error).toMatch(/refused: http: is not allowed/);
		expect(await received(tag)).toHaveLength(0);
	});

	it("never sends a stored request that the policy now refuses", async () => {
		const tag = uniqueTag("ssrf-stored");
		const outcome = await sendAttempt(
			{ method: "POST", url: `${env.RECEIVER_URL}/ok/${tag}`, headers: {}, body: "{}" },
			{},
			1000,
			{ policy: STRICT_POLICY },
		);
		expect(outcome).toMatchObject({ succeeded: false, errorKind: "blocked", statusCode: null });
		expect(await received(tag)).toHaveLength(0);
	});

	it("records an unusable egress proxy as kind proxy, and never falls back to sending direct", async () => {
		const tag = uniqueTag("ssrf-proxy");
		const request = { method: "POST", url: `${env.RECEIVER_URL}/ok/${tag}`, headers: {}, body: "{}" };
		const dev = { allowPrivate: true, allowHttp: true };
		const unreachable = await sendAttempt(request, {}, 1000, {
			policy: dev,
			egress: { region: "us", url: "http://127.0.0.1:9/relay", secret: "s" },
		});
		expect(unreachable).toMatchObject({ succeeded: false, errorKind: "proxy" });
		const noSecret = await sendAttempt(request, {}, 1000, {
			policy: dev,
			egress: { region: "us", url: `${env.RECEIVER_URL}/ok/${tag}`, secret: "" },
		});
		expect(noSecret).toMatchObject({ succeeded: false, errorKind: "proxy" });
		// A server that is not the proxy (no relay marker) is not taken for the receiver.
		const notAProxy = await sendAttempt(request, {}, 1000, {
			policy: dev,
			egress: { region: "us", url: `${env.RECEIVER_URL}/status/200/${tag}-imposter`, secret: "s" },
		});
		expect(notAProxy).toMatchObject({ succeeded: false, errorKind: "proxy", statusCode: null });
		expect(await received(tag)).toHaveLength(0);
	});

	it("answers 503 when EGRESS_PROXY_URL is set without EGRESS_PROXY_SECRET", async () => {
		const res = await app.request(
			"/v1/webhooks",
			{ headers: { authorization: ADMIN } },
			{ ...env, REGIONS: "", EGRESS_PROXY_URL: "https://egress.example.com/relay" },
		);
		expect(res.status).toBe(503);
		expect(((await res.json()) as { detail: string }).detail).toContain("EGRESS_PROXY_SECRET");
	});
});
