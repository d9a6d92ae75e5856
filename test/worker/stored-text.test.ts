// Large texts stored packed (src/db/stored-text.ts): an event's data and a
// notification's stored request body from 1 KB on, gzip bytes in a BLOB when
// that saves a fifth, and everything that reads them gets the text back byte
// for byte: the consumer's retries, the API's history.
import { describe, expect, it } from "vitest";
import { COMPRESS_FROM_BYTES, packText, unpackText } from "../../src/db/stored-text";
import { deliver } from "../../src/delivery/consumer";
import { ingestEvent } from "../../src/events/ingest";
import {
	api,
	createTenant,
	createWebhook,
	defaultShard as env,
	historyOf,
	received,
	seedNotification,
	uniqueTag,
} from "./helpers";

/** JSON that compresses like real event data: repeated keys, varied values, a BOM and characters past ASCII. */
const ledgerData = (rows: number) => ({
	note: "\ufeffÉtat du compte — Müller & Söhne 💶\r\n",
	rows: Array.from({ length: rows }, (_, i) => ({
		id: `TX-${String(i * 7919).padStart(10, "0")}`,
		amount: ((i * 37) % 1000) / 10,
		reference: `invoice ${i} of ${rows}`,
	})),
});

const typeOf = async (db: D1Database, sql: string, id: string) =>
	(await db.prepare(sql).bind(id).first<{ t: string }>())?.t;

describe("packing a text", () => {
	it("keeps short texts and texts that do not compress as they are", async () => {
		expect(await packText('{"amount":10}')).toBe('{"amount":10}');
		const short = "é".repeat(COMPRESS_FROM_BYTES / 2 - 1);
		expect(await packText(short)).toBe(short);
		// Random printable ASCII: gzip saves less than a fifth of it.
		const noise = String.fromCharCode(...[...crypto.getRandomValues(new Uint8Array(6000))].map((b) => 32 + (b % 95)));
		expect(await packText(noise)).toBe(noise);
	});

	it("packs a long text to gzip bytes at most 80 % of its UTF-8, and unpacks it exactly", async () => {
		const text = JSON.stringify(ledgerData(200));
		const packed = await packText(text);
		expect(packed).toBeInstanceOf(Uint8Array);
		expect((packed as Uint8Array).byteLength).toBeLessThan(new TextEncoder().encode(text).byteLength * 0.8);
		expect(await unpackText(packed)).toBe(text);
		// A leading byte-order mark is part of the text, not dropped on the way back.
		const marked = `\ufeff${text}`;
		expect(await unpackText(await packText(marked))).toBe(marked);
		// As D1 returns a BLOB: an array of byte values.
		expect(await unpackText([...(packed as Uint8Array)])).toBe(text);
	});
});

describe("packed history", () => {
	it("stores a large event's data as a BLOB, read back by the ingest's repeat check", async () => {
		const tenant = await createTenant();
		const history = await historyOf(tenant.id);
		const data = ledgerData(200);
		const input = { id: uniqueTag("evt"), type: "ledger.closed", data };
		const first = await ingestEvent(history, tenant.id, input);
		expect(first.repeated).toBe(false);
		expect(await typeOf(history.DB, "select typeof(data) t from events where id = ?", input.id)).toBe("blob");
		const row = await history.DB.prepare("select data from events where id = ?")
			.bind(input.id)
			.first<{ data: number[] }>();
		expect(JSON.parse(await unpackText(row?.data ?? ""))).toEqual(data);
		expect((await ingestEvent(history, tenant.id, input)).repeated).toBe(true);
	});

	it("sends a packed request byte for byte on every attempt, and the API shows those bytes and the event's data", async () => {
		const tag = uniqueTag("packed");
		const hook = await createWebhook({
			url: `${env.RECEIVER_URL}/status/503/${tag}`,
			payloadTemplate: '{"ledger": {{#json}}data{{/json}}, "note": "{{data.note}}"}',
			retryPolicy: { delaysSeconds: [1] },
		});
		const data = ledgerData(200);
		const { id } = await seedNotification(hook.id, { data, packed: true });
		expect(
			await typeOf(
				env.DB,
				"select typeof(e.data) t from notifications n join events e on e.id = n.event_id where n.id = ?",
				id,
			),
		).toBe("blob");
		await deliver(env, id);
		expect(await typeOf(env.DB, "select typeof(request_body) t from notifications where id = ?", id)).toBe("blob");
		await env.DB.prepare("update notifications set next_attempt_at = ? where id = ?").bind(Date.now(), id).run();
		await deliver(env, id);
		const got = await received(tag);
		expect(got).toHaveLength(2);
		expect(got[1]?.body).toBe(got[0]?.body);
		expect(JSON.parse(got[0]?.body ?? "").ledger).toEqual(data);
		const shown = (await (await api(`/v1/notifications/${id}`)).json()) as {
			request: { body: string };
			event: { data: unknown };
		};
		expect(shown.request.body).toBe(got[0]?.body);
		expect(shown.event.data).toEqual(data);
	});
});
