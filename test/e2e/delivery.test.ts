// End to end over HTTP: `wrangler dev` as `npm start` runs it, a real
// receiver on 127.0.0.1, and an event that travels through the local queue.
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HooklineApi, holdsFor, hooklineApi } from "../support/api.ts";
import { type LocalHookline, startHookline } from "../support/local-hookline.ts";
import { type Receiver, startReceiver } from "../support/receiver.ts";

let hookline: LocalHookline;
let receiver: Receiver;
let api: HooklineApi;

beforeAll(async () => {
	receiver = await startReceiver();
	hookline = await startHookline();
	api = hooklineApi(hookline);
});

afterAll(async () => {
	await hookline?.stop();
	await receiver?.close();
});

describe("an event reaches a local receiver through wrangler dev", () => {
	it("delivers once, with the idempotency key and a valid signature, and lists it as delivered", async () => {
		const created = await api.call("POST", "/v1/webhooks", {
			name: "e2e receiver",
			eventTypes: ["loan.*"],
			url: `${receiver.url}/ok/e2e/{{event.type}}`,
			payloadTemplate: '{"loan": "{{data.loanId}}", "amount": {{#json}}data.amount{{/json}}}',
		});
		expect(created.status).toBe(201);
		const secret = created.body.secret as string;

		const ingested = await api.call(
			"POST",
			"/v1/events",
			{ type: "loan.created", data: { loanId: "L-1", amount: 2500 } },
			{ token: hookline.ingestToken, headers: { "idempotency-key": "e2e-1" } },
		);
		expect(ingested.status).toBe(202);
		expect(ingested.body).toMatchObject({ type: "loan.created", notifications: 1 });
		const repeat = await api.call(
			"POST",
			"/v1/events",
			{ type: "loan.created", data: {} },
			{ token: hookline.ingestToken, headers: { "idempotency-key": "e2e-1" } },
		);
		expect(repeat.status).toBe(200);
		expect(repeat.body).toEqual(ingested.body);

		const arrived = await api.poll("arrival", async () => {
			const got = receiver.received.filter((r) => r.tag === "e2e/loan.created");
			return got.length > 0 ? got : undefined;
		});
		const delivered = await api.poll("delivered status", async () => {
			const list = await api.call("GET", `/v1/notifications?eventId=${ingested.body.id}`);
			const [n] = list.body.data ?? [];
			return n?.status === "delivered" ? n : undefined;
		});
		// A duplicate would show up here.
		await holdsFor(
			"one arrival",
			() => receiver.received.filter((r) => r.tag === "e2e/loan.created").length === 1,
			1000,
		);

		const request = arrived[0];
		expect(request?.headers["x-notifications-idempotency-key"]).toBe(delivered.id);
		expect(JSON.parse(request?.body ?? "")).toEqual({ loan: "L-1", amount: 2500 });
		expect(() => new Webhook(secret).verify(request?.body ?? "", request?.headers ?? {})).not.toThrow();

		const detail = await api.call("GET", `/v1/notifications/${delivered.id}`);
		expect(detail.body).toMatchObject({
			status: "delivered",
			request: { method: "POST", url: `${receiver.url}/ok/e2e/loan.created`, body: request?.body },
			attempts: [{ number: 1, succeeded: true, statusCode: 200 }],
		});
	});

	it("shapes PUT, PATCH, XML and text requests with Basic auth and percent-encoded URLs that receivers accept", async () => {
		const hostile = 'Ünïcödé "quotes" & <tags> / slash?x=1 🚀';
		const variants = [
			{
				tag: "xml",
				method: "PUT",
				contentType: "application/xml",
				payloadTemplate: '<?xml version="1.0"?><loan note="{{data.note}}">{{data.note}}</loan>',
			},
			{ tag: "text", method: "PATCH", contentType: "text/plain", payloadTemplate: "note: {{data.note}}" },
			{
				tag: "json",
				method: "POST",
				contentType: "application/json",
				payloadTemplate: '{"note": "{{data.note}}", "all": {{#json}}data{{/json}}}',
			},
		];
		const secrets = new Map<string, string>();
		for (const v of variants) {
			const res = await api.call("POST", "/v1/webhooks", {
				name: `shape ${v.tag}`,
				eventTypes: ["shape.checked"],
				method: v.method,
				contentType: v.contentType,
				payloadTemplate: v.payloadTemplate,
				url: `${receiver.url}/ok/shape-${v.tag}/{{data.note}}?n={{data.note}}`,
				headers: { "X-Shape": "{{webhook.name}}" },
				auth: { type: "basic", username: "acme", password: "pä55:word" },
			});
			expect(res.status).toBe(201);
			secrets.set(v.tag, res.body.secret as string);
		}
		const ingested = await api.call(
			"POST",
			"/v1/events",
			{ type: "shape.checked", data: { note: hostile } },
			{ token: hookline.ingestToken },
		);
		expect(ingested.body.notifications).toBe(3);

		for (const v of variants) {
			const [request] = await api.poll(`arrival of ${v.tag}`, async () => {
				const got = receiver.received.filter((r) => r.tag.startsWith(`shape-${v.tag}/`));
				return got.length > 0 ? got : undefined;
			});
			expect(request?.method).toBe(v.method);
			const url = new URL(request?.path ?? "", receiver.url);
			expect(decodeURIComponent(url.pathname.split("/").at(-1) ?? "")).toBe(hostile);
			expect(url.searchParams.get("n")).toBe(hostile);
			expect(request?.headers["x-shape"]).toBe(`shape ${v.tag}`);
			const basic = Buffer.from((request?.headers.authorization ?? "").replace(/^Basic /, ""), "base64").toString(
				"utf8",
			);
			expect(basic).toBe("acme:pä55:word");
			const body = request?.body ?? "";
			// verify() also JSON-parses the body, so XML and text are checked with the library's own signer.
			const headers = request?.headers ?? {};
			const expected = new Webhook(secrets.get(v.tag) as string).sign(
				headers["webhook-id"] ?? "",
				new Date(Number(headers["webhook-timestamp"]) * 1000),
				body,
			);
			expect(headers["webhook-signature"]?.split(" ")).toContain(expected);
			if (v.tag === "xml") {
				expect(XMLValidator.validate(body)).toBe(true);
				const loan = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@", htmlEntities: true }).parse(
					body,
				).loan;
				expect(loan["#text"]).toBe(hostile);
				expect(loan["@note"]).toBe(hostile);
			} else if (v.tag === "text") {
				expect(body).toBe(`note: ${hostile}`);
				expect(request?.headers["content-type"]).toBe("text/plain; charset=utf-8");
			} else {
				expect(JSON.parse(body)).toEqual({ note: hostile, all: { note: hostile } });
			}
		}
	});

	it("refuses the ingest token on admin routes over HTTP", async () => {
		const res = await api.call("GET", "/v1/webhooks", undefined, { token: hookline.ingestToken });
		expect(res.status).toBe(403);
		expect(res.body.status).toBe(403);
	});
});
