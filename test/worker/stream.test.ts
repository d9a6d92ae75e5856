// The pull stream: order, filters, redelivery until a commit, the one live
// stream, long-poll latency, the commit timeout, retention and bad input.
import { describe, expect, it } from "vitest";
import { readConfig } from "../../src/config";
import { sweepShard } from "../../src/history/sweeper";
import { api, eventually, historyOf, uniqueTag } from "./helpers";
import { lines, streamTenant } from "./stream-support";

const FAST = "batchTimeoutMs=100&streamTimeoutMs=1500";

describe("subscriptions", () => {
	it("are created, read, listed and deleted; `end` starts after what is stored, `begin` at the oldest", async () => {
		const t = await streamTenant();
		await t.ingest("loan.created", { n: 1 });
		const begin = await t.subscribe(["loan.*"], "begin");
		const end = await t.subscribe(["loan.*"], "end");
		expect(begin).toMatchObject({ eventTypes: ["loan.*"], startFrom: "begin", committedCursor: null, live: false });
		expect((await t.read(begin.id)).waiting).toBe(1);
		expect((await t.read(end.id)).waiting).toBe(0);
		await t.ingest("loan.repaid", { n: 2 });
		await t.ingest("account.opened", { n: 3 });
		expect((await t.read(begin.id)).waiting).toBe(2);
		expect((await t.read(end.id)).waiting).toBe(1);

		const page1 = await api(`${t.base}/subscriptions?limit=1`, { token: t.token });
		const first = (await page1.json()) as { data: { id: string }[]; nextCursor: string };
		expect(first.data.map((s) => s.id)).toEqual([end.id]);
		const page2 = await api(`${t.base}/subscriptions?limit=1&cursor=${first.nextCursor}`, { token: t.token });
		expect(((await page2.json()) as { data: { id: string }[] }).data.map((s) => s.id)).toEqual([begin.id]);

		expect((await api(`${t.base}/subscriptions/${end.id}`, { method: "DELETE", token: t.token })).status).toBe(204);
		expect((await api(`${t.base}/subscriptions/${end.id}`, { token: t.token })).status).toBe(404);
		expect((await api(`${t.base}/subscriptions/${end.id}`, { method: "DELETE", token: t.token })).status).toBe(404);
	});
});

describe("the stream", () => {
	it("streams matching events in stored order, again until committed, then what comes after", async () => {
		const t = await streamTenant();
		const sub = await t.subscribe(["loan.*", "account.opened"]);
		const ids = [];
		for (const [i, type] of ["loan.created", "card.issued", "account.opened", "loan.x.y", "loans.z"].entries())
			ids.push(await t.ingest(type, { i }));
		const want = [ids[0], ids[2], ids[3]];

		const first = lines(await t.open(sub.id, FAST));
		const got = await first.until((events) => events.length >= 3);
		expect(got.events.map((e) => e.id)).toEqual(want);
		expect(got.events[0]).toEqual({
			id: ids[0],
			type: "loan.created",
			occurredAt: expect.stringMatching(/Z$/),
			data: { i: 0 },
		});
		// Nothing else comes: the rest are keep-alives until the stream ends.
		expect((await first.rest()).flatMap((b) => b.events)).toEqual([]);

		// Not committed: the next stream sends the same events again.
		const again = lines(await t.open(sub.id, FAST));
		const second = await again.until((events) => events.length >= 3);
		expect(second.events.map((e) => e.id)).toEqual(want);
		expect(await t.commit(sub.id, second.cursor)).toHaveProperty("status", 204);
		await again.rest();
		const read = await t.read(sub.id);
		expect(read.committedCursor).toBe(second.cursor);
		expect(read.waiting).toBe(0);

		const later = await t.ingest("loan.closed");
		const third = lines(await t.open(sub.id, FAST));
		const after = await third.until((events) => events.length >= 1);
		expect(after.events.map((e) => e.id)).toEqual([later]);
		await third.rest();
	}, 20_000);

	it("sends batches of at most batchLimit, and a commit of an older cursor changes nothing", async () => {
		const t = await streamTenant();
		const sub = await t.subscribe(["*"]);
		const ids = [];
		for (let i = 0; i < 7; i++) ids.push(await t.ingest("loan.created", { i }));
		const stream = lines(await t.open(sub.id, `batchLimit=3&${FAST}`));
		const got = await stream.until((events) => events.length >= 7);
		expect(got.batches.map((b) => b.events.length)).toEqual([3, 3, 1]);
		expect(got.events.map((e) => e.id)).toEqual(ids);
		await stream.rest();
		expect((await t.commit(sub.id, got.batches[1]?.cursor as string)).status).toBe(204);
		expect((await t.read(sub.id)).waiting).toBe(1);
		expect((await t.commit(sub.id, got.batches[0]?.cursor as string)).status).toBe(204);
		expect((await t.read(sub.id)).committedCursor).toBe(got.batches[1]?.cursor);
	}, 20_000);

	it("keeps order under concurrent ingest, and skips nothing while a stream is open", async () => {
		const t = await streamTenant();
		const sub = await t.subscribe(["*"], "end");
		const stream = lines(await t.open(sub.id, "batchTimeoutMs=100&streamTimeoutMs=20000"));
		const waves: string[][] = [];
		for (let w = 0; w < 4; w++)
			waves.push(await Promise.all(Array.from({ length: 15 }, (_, i) => t.ingest("order.placed", { w, i }))));
		const got = await stream.until((events) => events.length >= 60);
		const streamed = got.events.map((e) => e.id);
		expect(new Set(streamed).size).toBe(60);
		// Every event of a wave was stored before the next wave was sent: all of it comes first.
		for (let w = 0; w < waves.length; w++)
			expect(new Set(streamed.slice(w * 15, (w + 1) * 15))).toEqual(new Set(waves[w]));
		// And exactly in the order of the log: seq order, dense.
		const log = await (await historyOf(t.tenant)).DB.prepare(
			"select id, seq from events where tenant_id = ? order by seq",
		)
			.bind(t.tenant)
			.all<{ id: string; seq: number }>();
		expect(streamed).toEqual(log.results.map((r) => r.id));
		expect(log.results.map((r) => r.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
		await stream.cancel();
	}, 30_000);

	it("refuses a second stream while one is live (409), and opens again once it is closed", async () => {
		const t = await streamTenant();
		const sub = await t.subscribe(["*"]);
		const first = lines(await t.open(sub.id, "batchTimeoutMs=100&streamTimeoutMs=20000"));
		expect(await first.next()).toMatchObject({ events: [] });
		const second = await t.open(sub.id);
		expect(second.status).toBe(409);
		expect(second.headers.get("content-type")).toBe("application/problem+json");
		expect((await t.read(sub.id)).live).toBe(true);
		await first.cancel();
		const third = await eventually(async () => {
			const res = await t.open(sub.id, FAST);
			return res.status === 200 ? res : undefined;
		});
		expect((await lines(third).rest()).length).toBeGreaterThan(0);
		expect((await t.read(sub.id)).live).toBe(false);
	}, 20_000);

	it("brings a new event to an open stream within about a second", async () => {
		const t = await streamTenant();
		const sub = await t.subscribe(["*"], "end");
		const stream = lines(await t.open(sub.id, "streamTimeoutMs=20000"));
		for (let round = 0; round < 3; round++) {
			const id = await t.ingest("loan.created", { round });
			const stored = Date.now();
			const got = await stream.until((events) => events.some((e) => e.id === id));
			const latency = Date.now() - stored;
			expect(got.events.map((e) => e.id)).toEqual([id]);
			expect(latency).toBeLessThan(1_500);
		}
		await stream.cancel();
	}, 30_000);

	it("ends a stream whose oldest batch waits longer than commitTimeoutSeconds for its commit", async () => {
		const t = await streamTenant();
		const sub = await t.subscribe(["*"]);
		const id = await t.ingest("loan.created");
		const opened = Date.now();
		const stream = lines(await t.open(sub.id, "batchTimeoutMs=100&streamTimeoutMs=20000&commitTimeoutSeconds=1"));
		expect((await stream.until((events) => events.length >= 1)).events.map((e) => e.id)).toEqual([id]);
		await stream.rest();
		expect(Date.now() - opened).toBeLessThan(5_000);
		// Committed in time, a stream goes on to its timeout.
		const next = lines(await t.open(sub.id, "batchTimeoutMs=100&streamTimeoutMs=3000&commitTimeoutSeconds=1"));
		const got = await next.until((events) => events.length >= 1);
		expect(got.events.map((e) => e.id)).toEqual([id]);
		expect((await t.commit(sub.id, got.cursor)).status).toBe(204);
		const started = Date.now();
		await next.rest();
		expect(Date.now() - opened).toBeGreaterThan(3_000);
		expect(Date.now() - started).toBeGreaterThan(1_500);
	}, 20_000);

	it("frees the subscription at streamTimeoutMs even when the client stops reading", async () => {
		const t = await streamTenant();
		const sub = await t.subscribe(["*"]);
		for (let i = 0; i < 20; i++) await t.ingest("loan.created", { pad: "x".repeat(20_000), i });
		const opened = Date.now();
		const stalled = await t.open(sub.id, "batchLimit=1&batchTimeoutMs=100&streamTimeoutMs=2000");
		expect(stalled.status).toBe(200);
		// Nothing reads the body: the lease (10 s) must not be what frees the subscription.
		await eventually(async () => ((await t.read(sub.id)).live ? undefined : true), { timeoutMs: 8_000 });
		expect(Date.now() - opened).toBeLessThan(8_000);
		await stalled.body?.cancel();
	}, 20_000);

	it("ends when its subscription is deleted", async () => {
		const t = await streamTenant();
		const sub = await t.subscribe(["*"]);
		const stream = lines(await t.open(sub.id, "batchTimeoutMs=100&streamTimeoutMs=20000"));
		await stream.next();
		const deletedAt = Date.now();
		expect((await api(`${t.base}/subscriptions/${sub.id}`, { method: "DELETE", token: t.token })).status).toBe(204);
		await stream.rest();
		expect(Date.now() - deletedAt).toBeLessThan(3_000);
	}, 20_000);
});

describe("bad input", () => {
	const problem = async (res: Response, status: number) => {
		expect(res.status).toBe(status);
		expect(res.headers.get("content-type")).toBe("application/problem+json");
		return ((await res.json()) as { errors?: { path: string }[] }).errors?.map((e) => e.path) ?? [];
	};

	it("names the field: subscription body, stream settings, cursors", async () => {
		const t = await streamTenant();
		const sub = await t.subscribe(["*"]);
		const other = await t.subscribe(["*"]);
		const create = (body: unknown) => api(`${t.base}/subscriptions`, { method: "POST", token: t.token, body });
		expect(await problem(await create({ name: "x", eventTypes: ["bad type!"] }), 400)).toEqual(["eventTypes.0"]);
		expect(await problem(await create({ name: "x", eventTypes: [] }), 400)).toEqual(["eventTypes"]);
		expect(await problem(await create({ name: "x", eventTypes: ["*"], startFrom: "middle" }), 400)).toEqual([
			"startFrom",
		]);
		expect(await problem(await create({ eventTypes: ["*"] }), 400)).toEqual(["name"]);
		for (const [query, field] of [
			["batchLimit=0", "query.batchLimit"],
			["batchLimit=1001", "query.batchLimit"],
			["batchLimit=abc", "query.batchLimit"],
			["batchTimeoutMs=10", "query.batchTimeoutMs"],
			["streamTimeoutMs=300001", "query.streamTimeoutMs"],
			["commitTimeoutSeconds=0", "query.commitTimeoutSeconds"],
		])
			expect(await problem(await t.open(sub.id, query as string), 400), query).toEqual([field]);
		expect((await t.read(sub.id)).live).toBe(false);

		const stream = lines(await t.open(sub.id, "batchTimeoutMs=100&streamTimeoutMs=1000"));
		const cursor = ((await stream.next()) as { cursor: string }).cursor;
		await stream.rest();
		for (const bad of ["not a cursor", "", cursor.slice(0, -2), btoa(`${sub.id}.x`)])
			expect(await problem(await t.commit(sub.id, bad), 400), bad).toEqual(["cursor"]);
		expect(await problem(await t.commit(other.id, cursor), 400)).toEqual(["cursor"]);
		const ahead = btoa(`${sub.id}.999999`).replace(/=+$/, "");
		expect(await problem(await t.commit(sub.id, ahead), 400)).toEqual(["cursor"]);
		expect(
			await problem(
				await api(`${t.base}/subscriptions/${sub.id}/cursors`, { method: "POST", token: t.token, body: {} }),
				400,
			),
		).toEqual(["cursor"]);
		expect((await t.read(sub.id)).committedCursor).toBeNull();
		expect((await t.commit(uniqueTag("sub_nope"), cursor)).status).toBe(400);
	}, 20_000);
});

describe("retention", () => {
	it("resumes a cursor older than the oldest retained event at the oldest, and says how many it passed", async () => {
		const t = await streamTenant();
		const sub = await t.subscribe(["*"]);
		const ids = [];
		for (let i = 0; i < 6; i++) ids.push(await t.ingest("loan.created", { i }));
		const first = lines(await t.open(sub.id, `batchLimit=2&${FAST}`));
		const got = await first.until((events) => events.length >= 2);
		expect(got.events.map((e) => e.id)).toEqual(ids.slice(0, 2));
		await first.rest();
		expect((await t.commit(sub.id, got.cursor)).status).toBe(204);

		// The first four age out, and the sweeper purges them (they have no notifications). Their
		// time is one no other test's rows have, so this sweep removes nothing else.
		const env = await historyOf(t.tenant);
		const ancient = 1_000;
		await env.DB.prepare("update events set received_at = ? where tenant_id = ? and seq <= 4")
			.bind(ancient, t.tenant)
			.run();
		const swept = await sweepShard(env, ancient + readConfig(env).retentionDays * 86_400_000 + 1);
		expect(swept.purged.events).toBe(4);

		expect((await t.read(sub.id)).waiting).toBe(2);
		const resumed = lines(await t.open(sub.id, FAST));
		const after = await resumed.until((events) => events.length >= 2);
		expect(after.events.map((e) => e.id)).toEqual(ids.slice(4));
		expect(after.batches.map((b) => b.purged ?? 0).reduce((a, b) => a + b, 0)).toBe(2);
		await resumed.rest();

		// A subscription from `begin` starts at the oldest retained event, and says so too.
		const late = await t.subscribe(["*"], "begin");
		const fromBegin = lines(await t.open(late.id, FAST));
		const all = await fromBegin.until((events) => events.length >= 2);
		expect(all.events.map((e) => e.id)).toEqual(ids.slice(4));
		expect(all.batches[0]?.purged).toBe(4);
		// Once past the gap, batches say nothing more about it.
		expect((await fromBegin.rest()).filter((b) => b.purged !== undefined)).toEqual([]);
	}, 20_000);
});
