// Writes one tenant's history on a shard as SQL INSERT statements, the export
// step of moving a tenant to another shard (docs/scaling.md, "Moving a
// tenant"). It reads the shard through `wrangler d1 execute --json`, a page of
// rows at a time along an index (never the whole shard, which stays in use),
// and has SQLite write each row's statement with quote(), so every value comes
// out exact: text, numbers, NULL and a packed text's BLOB (as X'…').
//
//   node scripts/export-tenant.ts <tenant> <SHARD_binding> <out.sql> --remote
//   node scripts/export-tenant.ts <tenant> <SHARD_binding> <out.sql> --local [--persist-to <dir>]
//
// Then: `npx wrangler d1 execute <target SHARD_binding> --remote --file <out.sql>`.
import { spawnSync } from "node:child_process";
import { appendFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const wrangler = join(root, "node_modules", ".bin", "wrangler");
/** Rows per read: small enough for D1's result size with large texts (a BLOB doubles as hex). */
const PAGE = 500;

const [tenant, binding, out, ...flags] = process.argv.slice(2);
// Tenant ids are `^[a-z0-9][a-z0-9_-]{0,62}$` (or a generated tnt_…): safe inside a quoted SQL literal.
if (!tenant || !/^[a-z0-9][a-z0-9_-]{0,62}$/.test(tenant) || !binding?.startsWith("SHARD_") || !out) {
	console.error(
		"usage: node scripts/export-tenant.ts <tenant> <SHARD_binding> <out.sql> --remote | --local [--persist-to <dir>]",
	);
	process.exit(2);
}
if (!flags.includes("--remote") && !flags.includes("--local")) {
	console.error("say --remote (the deployed shard) or --local");
	process.exit(2);
}

/** Rows of one query on the shard. */
const query = <T>(sql: string): T[] => {
	const result = spawnSync(wrangler, ["d1", "execute", binding, "--json", ...flags, "--command", sql], {
		cwd: root,
		encoding: "utf8",
		maxBuffer: 1024 ** 3,
		// wrangler prints its --json answer at its default log level only.
		env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", WRANGLER_LOG: "log" },
	});
	if (result.status !== 0) throw new Error(`wrangler d1 execute failed: ${result.stderr || result.stdout}`);
	return (JSON.parse(result.stdout) as { results: T[] }[])[0]?.results ?? [];
};

/** The SQL that makes a row's INSERT statement, from the table's columns as the shard has them. */
const insertOf = (table: string) => {
	const columns = query<{ name: string }>(`SELECT name FROM pragma_table_info('${table}') ORDER BY cid`).map(
		(c) => `"${c.name}"`,
	);
	const values = columns.map((c) => `quote(${c})`).join(" || ',' || ");
	return `'INSERT INTO "${table}" (${columns.join(", ")}) VALUES (' || ${values} || ');'`;
};

/**
 * Every row of `table` matching `where`, page by page along `key` (the last
 * column of the index that `where` and the order use); `each` sees each page's
 * first and last key.
 */
const exportTable = (table: string, key: string, where: string, each?: (from: string, to: string) => void) => {
	const statement = insertOf(table);
	let after = "";
	let rows = 0;
	for (;;) {
		const page = query<{ k: string; s: string }>(
			`SELECT ${key} AS k, ${statement} AS s FROM "${table}" WHERE ${where} AND ${key} > '${after.replaceAll("'", "''")}' ORDER BY ${key} LIMIT ${PAGE}`,
		);
		if (page.length === 0) break;
		appendFileSync(out, `${page.map((r) => r.s).join("\n")}\n`);
		each?.(after, (page.at(-1) as { k: string }).k);
		after = (page.at(-1) as { k: string }).k;
		rows += page.length;
		if (page.length < PAGE) break;
	}
	return rows;
};

const ofTenant = `tenant_id = '${tenant}'`;
writeFileSync(out, `-- Tenant ${tenant}'s history from ${binding}, ${new Date().toISOString()}\n`);
const counts: Record<string, number> = {};
counts.webhook_filters = 0;
const filtersOf = (from: string, to: string) => {
	// The filter rows of one page of webhooks (ingest matches by them), through their webhook index.
	const ids = `SELECT id FROM webhooks WHERE ${ofTenant} AND id > '${from}' AND id <= '${to}'`;
	counts.webhook_filters =
		(counts.webhook_filters ?? 0) +
		exportTable("webhook_filters", "webhook_id || ' ' || pattern", `webhook_id IN (${ids})`);
};
counts.webhooks = exportTable("webhooks", "id", ofTenant, filtersOf);
counts.events = exportTable("events", "id", ofTenant);
counts.ingest_keys = exportTable("ingest_keys", "key", ofTenant);
// The log's head goes along, so events stored on the new shard continue the tenant's seq.
counts.event_log_heads = exportTable("event_log_heads", "tenant_id", ofTenant);
counts.subscriptions = exportTable("subscriptions", "id", ofTenant);
counts.attempts = 0;
const attemptsOf = (from: string, to: string) => {
	// The attempts of one page of notifications, through the notification index.
	const ids = `SELECT id FROM notifications WHERE ${ofTenant} AND id > '${from}' AND id <= '${to}'`;
	counts.attempts = (counts.attempts ?? 0) + exportTable("attempts", "id", `notification_id IN (${ids})`);
};
counts.notifications = exportTable("notifications", "id", ofTenant, attemptsOf);
console.log(`${out}: ${JSON.stringify(counts)}`);
