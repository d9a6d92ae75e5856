// Event filters as rows: which entries match a type, and that ingest finds
// exactly the webhooks whose filter matches, after creating, changing and
// deleting them, without reading the others.
import { describe, expect, it } from "vitest";
import { patternsMatching, typeMatchesSql } from "../../src/webhooks/filters";
import { api, createKey, createTenant, createWebhook, defaultShard as env, readEveryShard, uniqueTag } from "./helpers";

describe("patternsMatching", () => {
	it("lists *, the type and each dotted prefix", () => {
		expect(patternsMatching("loan")).toEqual(["*", "loan"]);
		expect(patternsMatching("loan.created")).toEqual(["*", "loan.created", "loan.*"]);
		expect(patternsMatching("loan.created.late")).toEqual(["*", "loan.created.late", "loan.*", "loan.created.*"]);
	});

	it("leaves * out for Hookline's own types", () => {
		expect(patternsMatching("hookline.webhook.disabled")).toEqual([
			"hookline.webhook.disabled",
			"hookline.*",
			"hookline.webhook.*",
		]);
	});
});

describe("typeMatchesSql", () => {
	it("gives patternsMatching's answer for every type and pattern", async () => {
		const types = ["loan", "loan.created", "loan.created.late", "loans.x", "Loan.created", "hookline.webhook.disabled"];
		const patterns = ["*", "loan", "loan.created", "loan.*", "loan.created.*", "loans.*", "hookline.*", "Loan.*"];
		// A column named `type`, as the stream and replay use it (json_each has a `type` too).
		const query = env.DB.prepare(`SELECT ${typeMatchesSql("e.type", "?2")} AS m FROM (SELECT ?1 AS type) e`);
		for (const type of types) {
			for (const pattern of patterns) {
				const row = await query.bind(type, JSON.stringify([pattern])).first<{ m: number }>();
				expect(row?.m === 1, `${type} ~ ${pattern}`).toBe(patternsMatching(type).includes(pattern));
			}
			const all = await query.bind(type, JSON.stringify(patterns)).first<{ m: number }>();
			expect(all?.m).toBe(patternsMatching(type).some((p) => patterns.includes(p)) ? 1 : 0);
			expect((await query.bind(type, "[]").first<{ m: number }>())?.m).toBe(0);
		}
	});
});

const ingest = async (token: string, type: string) => {
	const res = await api("/v1/events", { method: "POST", token, body: { type, data: {} } });
	expect(res.status).toBe(202);
	return (await res.json()) as { id: string; notifications: number };
};

const matchedBy = async (eventId: string) =>
	(await readEveryShard<{ w: string }>("select webhook_id w from notifications where event_id = ?", eventId))
		.map((r) => r.w)
		.sort();

describe("ingest matches by the filter rows", () => {
	it("matches *, exact types and prefixes, and follows changes and deletes", async () => {
		const tenant = await createTenant();
		const { token } = await createKey({ tenantId: tenant.id });
		const tag = uniqueTag("f");
		const hook = (eventTypes: string[]) =>
			createWebhook({ eventTypes, url: `${env.RECEIVER_URL}/ok/${tag}` }, { token });
		const all = await hook(["*"]);
		const exact = await hook(["loan.created"]);
		const prefix = await hook(["loan.*"]);
		const deep = await hook(["loan.created.*"]);
		const other = await hook(["loans.*", "invoice.paid"]);

		const created = await ingest(token, "loan.created");
		expect(await matchedBy(created.id)).toEqual([all.id, exact.id, prefix.id].sort());
		const late = await ingest(token, "loan.created.late");
		expect(await matchedBy(late.id)).toEqual([all.id, prefix.id, deep.id].sort());
		const paid = await ingest(token, "invoice.paid");
		expect(await matchedBy(paid.id)).toEqual([all.id, other.id].sort());

		// A change of the filter takes effect at once; a deleted webhook matches nothing.
		const patched = await api(`/v1/webhooks/${other.id}`, {
			method: "PATCH",
			token,
			body: { eventTypes: ["loan.created"] },
		});
		expect(patched.status).toBe(200);
		expect((await api(`/v1/webhooks/${all.id}`, { method: "DELETE", token })).status).toBe(204);
		const again = await ingest(token, "loan.created");
		expect(await matchedBy(again.id)).toEqual([exact.id, prefix.id, other.id].sort());
		expect((await ingest(token, "invoice.paid")).notifications).toBe(0);
		// The rows say exactly the live filters.
		const rows = await readEveryShard<{ p: string; w: string }>(
			"select pattern p, webhook_id w from webhook_filters where tenant_id = ? order by webhook_id, pattern",
			tenant.id,
		);
		expect(rows).toEqual(
			[
				{ p: "loan.created", w: exact.id },
				{ p: "loan.*", w: prefix.id },
				{ p: "loan.created.*", w: deep.id },
				{ p: "loan.created", w: other.id },
			].sort((a, b) => (a.w === b.w ? a.p.localeCompare(b.p) : a.w.localeCompare(b.w))),
		);
	});

	it("answers the ingest through the filter index, reading no other webhook", async () => {
		const plan = await env.DB.prepare(
			"EXPLAIN QUERY PLAN SELECT f.webhook_id FROM webhook_filters f WHERE f.tenant_id = ? AND f.pattern IN (SELECT value FROM json_each(?))",
		)
			.bind("t", '["*","a"]')
			.all<{ detail: string }>();
		expect(plan.results.map((r) => r.detail).join(" | ")).toMatch(/SEARCH f USING (COVERING )?INDEX|PRIMARY KEY/);
	});
});
