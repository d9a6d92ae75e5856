// Moving a tenant between shards (docs/scaling.md): scripts/export-tenant.ts
// writes a tenant's rows of one shard as SQL that another shard takes as they
// are, its webhooks' filter rows included, so a moved webhook still matches
// events. Over npm start's local state and `wrangler d1 execute --local`.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateLocal } from "../../scripts/d1-migrations.ts";
import { type HooklineApi, hooklineApi } from "../support/api.ts";
import { type LocalHookline, startHookline } from "../support/local-hookline.ts";

const root = join(import.meta.dirname, "..", "..");
const bin = join(root, "node_modules", ".bin");
const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}`, CI: "true", WRANGLER_SEND_METRICS: "false" };

/** One row of counts of `tenant`'s rows on a local shard. */
const countsOn = (persist: string, binding: string, tenant: string) => {
	const of = (table: string) => `(SELECT count(*) FROM ${table} WHERE tenant_id = '${tenant}') AS ${table}`;
	const tables = ["webhooks", "webhook_filters", "events", "notifications", "event_log_heads"];
	const result = spawnSync(
		join(bin, "wrangler"),
		[
			"d1",
			"execute",
			binding,
			"--local",
			"--persist-to",
			persist,
			"--json",
			"--command",
			`SELECT ${tables.map(of).join(", ")}`,
		],
		{ cwd: root, encoding: "utf8", env: { ...env, WRANGLER_LOG: "log" } },
	);
	expect(result.status, result.stderr).toBe(0);
	return (JSON.parse(result.stdout) as { results: Record<string, number>[] }[])[0]?.results[0];
};

let hookline: LocalHookline;
let api: HooklineApi;
const target = mkdtempSync(join(tmpdir(), "hookline-move-"));

beforeAll(async () => {
	// Every new tenant goes to SHARD_A, so SHARD_B of another state is a clean target.
	hookline = await startHookline({ env: { SHARDS_CLOSED: "SHARD_B", REGIONS: "[]" } });
	api = hooklineApi(hookline);
});

afterAll(async () => {
	await hookline?.stop();
	rmSync(target, { recursive: true, force: true });
});

describe("moving a tenant to another shard", () => {
	it("exports its rows, its webhooks' filter rows among them, as SQL another shard takes", async () => {
		const tenant = `move-${crypto.randomUUID().slice(0, 8)}`;
		expect((await api.call("POST", "/v1/tenants", { id: tenant, name: "Moving" })).status).toBe(201);
		const hook = await api.call("POST", `/v1/tenants/${tenant}/webhooks`, {
			name: "Loans",
			eventTypes: ["loan.*", "card.issued"],
			url: "http://127.0.0.1:9/unused",
			enabled: false,
		});
		expect(hook.status).toBe(201);
		const sent = await api.call("POST", `/v1/tenants/${tenant}/events`, { type: "loan.created", data: { n: 1 } });
		expect(sent.status).toBe(202);
		const before = countsOn(hookline.stateDir, "SHARD_A", tenant);
		expect(before).toEqual({ webhooks: 1, webhook_filters: 2, events: 1, notifications: 1, event_log_heads: 1 });

		const out = join(target, `${tenant}.sql`);
		const exported = spawnSync(
			process.execPath,
			[join(root, "scripts", "export-tenant.ts"), tenant, "SHARD_A", out, "--local", "--persist-to", hookline.stateDir],
			{ cwd: root, encoding: "utf8", env },
		);
		expect(exported.status, exported.stderr).toBe(0);
		expect(migrateLocal(root, { persist: target, quiet: true })).toBeUndefined();
		const imported = spawnSync(
			join(bin, "wrangler"),
			["d1", "execute", "SHARD_B", "--local", "--persist-to", target, "--file", out],
			{ cwd: root, encoding: "utf8", env },
		);
		expect(imported.status, imported.stderr).toBe(0);
		expect(countsOn(target, "SHARD_B", tenant)).toEqual(before);
	}, 180_000);
});
