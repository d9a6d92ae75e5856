// `npm run bench:retention`: how fast the sweeper purges expired history, on
// the same local runtime as `npm run bench`. It writes BENCH_RETENTION_ROWS
// expired notifications (delivered, each with its event, two attempts with a
// response excerpt, and a stored ~600-byte request) straight into local D1,
// starts Hookline, runs the scheduled handler once (one cron run: purge rounds
// until nothing is left or the 20 s budget is spent), then counts what is
// left. The figure to hold against ingest is notifications purged per second;
// the purge must keep up with 5 times the benchmark's peak ingest.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BENCH_VARS, benchState, describeStateRoot, log, migrateLocal, root, startInProcess } from "./lib.ts";

const ROWS = Number(process.env.BENCH_RETENTION_ROWS ?? 100_000);
/** The benchmark's peak ingest on this kind of machine (BENCHMARKS.md), which the purge must outrun 5 times. */
const PEAK_INGEST = Number(process.env.BENCH_PEAK_INGEST ?? 804);

const d1 = (persist: string, args: string[]) => {
	const result = spawnSync(
		join(root, "node_modules", ".bin", "wrangler"),
		["d1", "execute", "SHARD_A", "--local", "--persist-to", persist, "--json", ...args],
		{ cwd: root, encoding: "utf8", env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" } },
	);
	if (result.status !== 0) throw new Error(`wrangler d1 execute failed: ${result.stderr}`);
	return JSON.parse(result.stdout) as { results: Record<string, number>[] }[];
};

/** Expired history generated inside SQLite itself, so seeding 100,000 rows takes seconds. */
const seedSql = (rows: number, at: number) => `
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows})
INSERT INTO events (id, type, occurred_at, data, received_at, notification_count)
SELECT printf('evt_old_%08d', i), 'loan.created', ${at}, '{"loanId":"L-' || i || '","amount":2500}', ${at}, 1 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows})
INSERT INTO notifications (id, event_id, webhook_id, event_type, status, attempt_count, series, "trigger",
  request_method, request_url, request_headers, request_body, created_at, updated_at, delivered_at)
SELECT printf('ntf_old_%08d', i), printf('evt_old_%08d', i), 'wh_retention', 'loan.created', 'delivered', 2, 0, 'auto',
  'POST', 'https://receiver.example/hooks/loan.created', '{"content-type":"application/json"}',
  '{"id":"evt_old_' || i || '","type":"loan.created","data":{"loanId":"L-' || i || '","amount":2500}}' || printf('%.400c', ' '),
  ${at}, ${at}, ${at} FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows * 2})
INSERT INTO attempts (id, notification_id, series, number, "trigger", started_at, duration_ms, succeeded, status_code, response_excerpt, url)
SELECT printf('att_old_%08d', i), printf('ntf_old_%08d', (i + 1) / 2), 0, 1 + i % 2, 'auto', ${at}, 25, i % 2, 200, 'ok', 'https://receiver.example/hooks/loan.created' FROM n;
`;

const count = (persist: string) =>
	d1(persist, [
		"--command",
		"SELECT (SELECT count(*) FROM notifications) AS notifications, (SELECT count(*) FROM attempts) AS attempts, (SELECT count(*) FROM events) AS events",
	])[0]?.results[0] ?? {};

const main = async () => {
	log(describeStateRoot());
	const state = benchState("hookline-retention-");
	migrateLocal(state);
	const at = Date.now() - 40 * 86_400_000;
	const file = join(state, "seed.sql");
	writeFileSync(file, seedSql(ROWS, at));
	log(`seeding ${ROWS} expired notifications (with their events and ${ROWS * 2} attempts)…`);
	d1(state, ["--file", file]);
	const before = count(state);
	log(`  ${JSON.stringify(before)}`);

	const hookline = await startInProcess(join(root, "wrangler.toml"), {
		persist: state,
		vars: BENCH_VARS,
	});
	log("one cron run of the sweeper…");
	const started = Date.now();
	const res = await fetch(`${hookline.url}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*`);
	const elapsedMs = Date.now() - started;
	await hookline.stop();
	if (!res.ok) throw new Error(`the scheduled handler answered ${res.status}`);
	const after = count(state);
	const purged = (before.notifications ?? 0) - (after.notifications ?? 0);
	const perSecond = purged / (elapsedMs / 1000);
	log(`  purged ${purged} notifications in ${(elapsedMs / 1000).toFixed(1)} s; left ${JSON.stringify(after)}`);
	console.log("Hookline retention purge (one cron run, local workerd, loopback)");
	console.log(`  ${describeStateRoot()}`);
	console.log(`  purged               ${purged} notifications, with their events and attempts`);
	console.log(`  rate                 ${perSecond.toFixed(0)} notifications/s`);
	console.log(
		`  ${perSecond >= 5 * PEAK_INGEST ? "met " : "MISS"}  ≥ 5 × peak ingest (${5 * PEAK_INGEST}/s)   ${(perSecond / PEAK_INGEST).toFixed(1)} ×`,
	);
};

await main();
