// Group commit of concurrent ingests: a repeat in the group is given its own
// answer while the others are written; any other failure is given to every
// member and nothing is re-run (a re-run after a lost reply could write twice).

import { describe, expect, it } from "vitest";
import { isUniqueViolation } from "../../src/db";
import { GroupCommit } from "../../src/db/group-commit";
import { defaultShard as env } from "./helpers";

const table = `gc_${crypto.randomUUID().replaceAll("-", "")}`;
const rows = async () =>
	(await env.DB.prepare(`SELECT id FROM ${table} ORDER BY id`).all<{ id: string }>()).results.map((r) => r.id);

describe("GroupCommit", () => {
	it("writes a group together; a failure other than a repeat fails every member and re-runs none", async () => {
		await env.DB.prepare(`CREATE TABLE ${table} (id TEXT PRIMARY KEY)`).run();
		const commits = new GroupCommit(isUniqueViolation);
		const waits: Promise<unknown>[] = [];
		const waitUntil = (p: Promise<unknown>) => {
			waits.push(p);
		};
		const insert = (id: string) => [env.DB.prepare(`INSERT INTO ${table} (id) VALUES (?)`).bind(id)];

		// The first member leads alone; the next three arrive during its round and go together.
		const lead = commits.batch(env.DB, insert("a"), waitUntil);
		const group = [
			commits.batch(env.DB, insert("b"), waitUntil),
			commits.batch(env.DB, [env.DB.prepare("SELECT * FROM no_such_table")], waitUntil),
			commits.batch(env.DB, insert("c"), waitUntil),
		];
		await lead;
		const settled = await Promise.allSettled(group);
		await Promise.all(waits);
		expect(settled.map((s) => s.status)).toEqual(["rejected", "rejected", "rejected"]);
		expect(await rows()).toEqual(["a"]);

		// A repeat: the group rolls back, then each member gets its own answer.
		const lead2 = commits.batch(env.DB, insert("d"), waitUntil);
		const group2 = [
			commits.batch(env.DB, insert("e"), waitUntil),
			commits.batch(env.DB, insert("a"), waitUntil),
			commits.batch(env.DB, insert("f"), waitUntil),
		];
		await lead2;
		const settled2 = await Promise.allSettled(group2);
		await Promise.all(waits);
		expect(settled2.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
		expect(await rows()).toEqual(["a", "d", "e", "f"]);
	});
});
