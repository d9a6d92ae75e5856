// Escaping rules of every template target, with hostile values and with
// generated ones: whatever the event data, the request stays well formed and
// a receiver's parser reads back exactly the data.
import fc from "fast-check";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { ShapeError, shapeRequest } from "../../src/attempt/request";
import { STRICT_POLICY } from "../../src/security/target";
import {
	isFixedUrl,
	MAX_RENDERED_CHARS,
	RenderTooLarge,
	renderPayload,
	renderUrl,
	type TemplateView,
} from "../../src/templates";

const HOSTILE = [
	'quote " and \\ backslash',
	"</x><script>alert(1)</script>",
	"a & b; &amp; <![CDATA[ x ]]>",
	"line\r\nbreak\ttab",
	"emoji 🚀 and ünïcödé ✓",
	"control \u0000\u0001\u001f chars",
	"separators \u2028\u2029",
	"lone surrogate \ud800 here",
	"{{event.id}} looks like a tag",
	"",
];

const view = (data: Record<string, unknown>): TemplateView => ({
	event: { id: "evt_1", type: "loan.created", occurredAt: "2026-01-01T00:00:00.000Z" },
	data,
	webhook: { id: "wh_1", name: "hook" },
	notification: { id: "ntf_1" },
});

/** What a value reads as when placed as text: strings as they are, others as JSON. */
const asText = (v: unknown) =>
	v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);

const xml = new XMLParser({
	htmlEntities: true,
	ignoreAttributes: false,
	attributeNamePrefix: "@",
	parseTagValue: false,
	parseAttributeValue: false,
	trimValues: false,
});

/** XML 1.0 cannot carry control characters (but tab, LF, CR) or lone surrogates; Hookline replaces them with U+FFFD. */
const xmlSafe = (s: string) =>
	Array.from(s, (ch) => {
		const cp = ch.codePointAt(0) ?? 0;
		const control = cp < 0x20 && ![0x9, 0xa, 0xd].includes(cp);
		const loneSurrogate = cp >= 0xd800 && cp <= 0xdfff;
		return control || loneSurrogate || cp === 0xfffe || cp === 0xffff ? "\uFFFD" : ch;
	}).join("");

const readJsonString = (value: unknown) =>
	JSON.parse(renderPayload('{"v": "{{data.v}}"}', view({ v: value }), "application/json")).v;

describe("JSON payloads", () => {
	it.each(HOSTILE)("keeps %j inside a JSON string", (value) => {
		// Lone surrogates become their \u escape in JSON, which parses back to the same code unit.
		expect(readJsonString(value)).toBe(value);
	});

	it("renders valid JSON for any string, number or nested value", () => {
		fc.assert(
			fc.property(fc.oneof(fc.string({ unit: "binary" }), fc.jsonValue()), (value) => {
				expect(readJsonString(value)).toBe(asText(value));
			}),
		);
	});

	it("places a whole value as JSON with {{#json}}, and null when missing", () => {
		fc.assert(
			fc.property(fc.jsonValue(), (value) => {
				const body = renderPayload(
					'{"v": {{#json}}data.v{{/json}}, "m": {{#json}}data.missing{{/json}}}',
					view({ v: value }),
					"application/json",
				);
				expect(JSON.parse(body)).toEqual({ v: JSON.parse(JSON.stringify(value)), m: null });
			}),
		);
	});

	it("renders deep objects placed as text as their JSON text", () => {
		const deep = { a: { b: { c: [1, { d: 'x"y' }] } } };
		expect(readJsonString(deep)).toBe(JSON.stringify(deep));
	});

	it("renders a missing value empty", () => {
		expect(renderPayload('{"v": "{{data.nothing.here}}"}', view({}), "application/json")).toBe('{"v": ""}');
	});
});

describe("XML payloads", () => {
	const template = '<?xml version="1.0" encoding="UTF-8"?><loan id="{{data.v}}" alt=\'{{data.v}}\'>{{data.v}}</loan>';

	it.each(HOSTILE)("keeps %j as text and attribute", (value) => {
		const body = renderPayload(template, view({ v: value }), "application/xml");
		expect(XMLValidator.validate(body)).toBe(true);
		const loan = xml.parse(body).loan as Record<string, string> | string;
		const text = typeof loan === "string" ? loan : (loan["#text"] ?? "");
		expect(text).toBe(xmlSafe(value));
		if (typeof loan !== "string") expect(loan["@id"]).toBe(xmlSafe(value));
	});

	it("is a well-formed document for any string", () => {
		fc.assert(
			fc.property(fc.string({ unit: "binary" }), (value) => {
				const body = renderPayload(template, view({ v: value }), "application/xml");
				expect(XMLValidator.validate(body)).toBe(true);
			}),
		);
	});
});

describe("text payloads", () => {
	it("does not escape", () => {
		for (const value of HOSTILE) expect(renderPayload("{{data.v}}", view({ v: value }), "text/plain")).toBe(value);
	});
});

describe("URLs", () => {
	it.each(HOSTILE.filter((v) => !v.includes("\ud800")))("percent-encodes %j in path and query", (value) => {
		const url = new URL(renderUrl("https://example.com/loans/{{data.v}}?q={{data.v}}", view({ v: value })));
		expect(url.host).toBe("example.com");
		expect(decodeURIComponent(url.pathname.slice("/loans/".length))).toBe(value);
		expect(url.searchParams.get("q")).toBe(value);
	});

	it("percent-encodes what {{#json}} places, so data cannot add a path or a query", () => {
		const id = "x/../../admin/delete?";
		const url = new URL(renderUrl("https://example.com/orders/{{#json}}data.id{{/json}}", view({ id })));
		expect(url.pathname).toBe(`/orders/${encodeURIComponent(JSON.stringify(id))}`);
		expect(url.search).toBe("");
		expect(decodeURIComponent(url.pathname.slice("/orders/".length))).toBe(JSON.stringify(id));
	});

	it.each([
		["https://example.com/hooks", true],
		["https://example.com/hooks/{{webhook.id}}?name={{webhook.name}}", true],
		["https://example.com/hooks/{{data.tenant}}", false],
		["https://example.com/{{event.type}}", false],
		["https://example.com/{{#data.x}}a{{/data.x}}", false],
		["https://example.com/{{#json}}webhook.id{{/json}}", false],
	])("tells whether %s is the same for every event (%s)", (template, fixed) => {
		expect(isFixedUrl(template)).toBe(fixed);
	});

	it("cannot be redirected to another host by the data", () => {
		fc.assert(
			fc.property(fc.string(), (value) => {
				const url = new URL(renderUrl("https://example.com/{{data.v}}", view({ v: value })));
				expect(url.host).toBe("example.com");
			}),
		);
	});
});

describe("shapeRequest", () => {
	const templates = {
		method: "PUT" as const,
		url: "https://example.com/{{data.id}}",
		contentType: "text/plain" as const,
		headers: { "X-Loan": "{{data.id}}" },
		payloadTemplate: "loan {{data.id}}",
	};

	it("refuses a header value with CR/LF or beyond Latin-1, naming the header", () => {
		for (const id of ["a\r\nInjected: yes", "rocket 🚀"]) {
			try {
				shapeRequest(templates, view({ id }), { policy: STRICT_POLICY });
				expect.unreachable();
			} catch (err) {
				expect(err).toBeInstanceOf(ShapeError);
				expect((err as ShapeError).field).toBe("headers.X-Loan");
			}
		}
		expect(shapeRequest(templates, view({ id: "café" }), { policy: STRICT_POLICY }).headers["x-loan"]).toBe("café");
	});

	it("sets the content type with charset for text and the idempotency key", () => {
		const request = shapeRequest(templates, view({ id: "L-1" }), { policy: STRICT_POLICY });
		expect(request).toEqual({
			method: "PUT",
			url: "https://example.com/L-1",
			headers: {
				"content-type": "text/plain; charset=utf-8",
				"user-agent": expect.stringMatching(/^Hookline\//),
				"x-notifications-idempotency-key": "ntf_1",
				"x-loan": "L-1",
			},
			body: "loan L-1",
		});
	});

	it("refuses a rendered body over 256 KiB", () => {
		expect(() => shapeRequest(templates, view({ id: "x".repeat(300_000) }), { policy: STRICT_POLICY })).toThrow(
			/over 262144 bytes/,
		);
	});

	it("stops a section over large data at the bound while rendering, naming the template", () => {
		// 2,000 items that each place the whole 1 MB of data: 2 GB if nothing stopped it.
		const data = { items: Array.from({ length: 2000 }, (_, i) => ({ i, pad: "p".repeat(500) })) };
		const exploding = {
			...templates,
			contentType: "application/json" as const,
			payloadTemplate: "[{{#data.items}}{{#json}}data{{/json}},{{/data.items}}0]",
		};
		try {
			shapeRequest(exploding, view(data), { policy: STRICT_POLICY });
			expect.unreachable();
		} catch (err) {
			expect(err).toBeInstanceOf(ShapeError);
			expect((err as ShapeError).field).toBe("payloadTemplate");
			expect((err as ShapeError).message).toBe(`renders over ${MAX_RENDERED_CHARS} bytes (stopped while rendering)`);
		}
		// Plain text repeated by a section is counted too.
		expect(() =>
			renderPayload(
				"{{#data.items}}0123456789{{/data.items}}",
				view({ items: new Array(30_000).fill(1) }),
				"text/plain",
			),
		).toThrow(RenderTooLarge);
		// The budget is per render: a render that fits still works after one that did not.
		expect(renderPayload("{{#data.items}}{{.}}{{/data.items}}", view({ items: [1, 2, 3] }), "text/plain")).toBe("123");
	});

	it("refuses http: unless allowed", () => {
		const http = { ...templates, url: "http://example.com/" };
		expect(() => shapeRequest(http, view({}), { policy: STRICT_POLICY })).toThrow(/https:/);
		expect(shapeRequest(http, view({}), { policy: { allowPrivate: false, allowHttp: true } }).url).toBe(
			"http://example.com/",
		);
	});
});
