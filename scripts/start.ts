// `npm start`: Hookline on this machine with no manual step. Applies the D1
// migrations to the local databases (catalog and shards), starts two regions'
// egress proxies on 127.0.0.2 and 127.0.0.3 (./local-regions.ts), then runs
// `wrangler dev` with local D1, Queues and Durable Objects and the development
// settings below. Any of them set in the environment wins (e.g. `ADMIN_TOKEN=x
// npm start`); REGIONS, EGRESS_PROXY_URL or SENDER_IPS set there replaces the
// local regions (`REGIONS='[]' npm start` delivers directly).
//
// Environment: PORT (default 8787), HOST (default 127.0.0.1),
// HOOKLINE_EGRESS_PORT (the local proxies' port, default 8790; 0: any free one),
// HOOKLINE_STATE_DIR (where local state is kept; default .wrangler/state),
// HOOKLINE_SWEEP_INTERVAL_MS (default 60000): cron triggers never fire by
// themselves under wrangler dev, so this script runs the sweeper at start
// and at that interval, as production's every-minute cron would;
// HOOKLINE_INSPECTOR=1 (or `npm start -- --inspect`): with the DevTools
// inspector, on HOOKLINE_INSPECTOR_PORT (default 9229); HOOKLINE_REQUEST_LOG=1:
// a line per request served; X_LOCAL_OBSERVABILITY=true: wrangler's local
// traces (./local-runtime.ts says what each costs).
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { migrateLocal } from "./d1-migrations.ts";
import { LOCAL_RELAY_SECRET, startLocalRegions } from "./local-regions.ts";
import { leanLocalRuntime, startLocalWorker } from "./local-runtime.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const wrangler = join(root, "node_modules", ".bin", "wrangler");
const port = Number(process.env.PORT ?? 8787);
const host = process.env.HOST ?? "127.0.0.1";
const stateDir = process.env.HOOKLINE_STATE_DIR;
const persist = stateDir ? ["--persist-to", stateDir] : [];

/** Development defaults; a deployed worker gets real secrets instead. */
export const DEV_SETTINGS: Record<string, string> = {
	ADMIN_TOKEN: "dev-admin-token",
	INGEST_TOKEN: "dev-ingest-token",
	// base64 of 32 bytes; for local use only.
	ENCRYPTION_KEY: "aG9va2xpbmUtbG9jYWwtZGV2LWtleS0zMi1ieXRlcyE=",
	ALLOW_PRIVATE_TARGETS: "true",
};

const log = (line: string) => process.stdout.write(`[hookline] ${line}\n`);

log("applying D1 migrations to the local databases (the catalog and each history shard)…");
const failed = migrateLocal(root, { persist: stateDir });
if (failed) {
	log(`migrations of ${failed} failed; see the output above`);
	process.exit(1);
}

/**
 * The DevTools inspector: off unless asked for. `wrangler dev` always has it,
 * and it traces every subrequest (each D1 call, queue send, Durable Object call
 * and fetch) into wrangler's Node process: a delivery makes several, so it costs
 * Hookline far more than a one-fetch worker (docs/performance-log.md).
 */
const inspector = process.argv.includes("--inspect") || process.env.HOOKLINE_INSPECTOR === "1";
const inspectorPort = Number(process.env.HOOKLINE_INSPECTOR_PORT ?? 9229);
const runtime = leanLocalRuntime(process.env, { keepRequestLines: inspector });

// The regions: the environment's own, or two local proxies.
const ownRegions = ["REGIONS", "EGRESS_PROXY_URL", "SENDER_IPS"].some((name) => process.env[name] !== undefined);
const local = ownRegions
	? undefined
	: await startLocalRegions({
			port: Number(process.env.HOOKLINE_EGRESS_PORT ?? 8790),
			secret: process.env.EGRESS_PROXY_SECRET ?? LOCAL_RELAY_SECRET,
			log,
			relayLines: runtime.requestLines,
		}).catch((err: Error) => {
			log(err.message);
			process.exit(1);
		});
if (local) {
	DEV_SETTINGS.REGIONS = local.regions;
	DEV_SETTINGS.EGRESS_PROXY_SECRET = process.env.EGRESS_PROXY_SECRET ?? LOCAL_RELAY_SECRET;
	log(`regions: ${local.regions}`);
}

const SECRETS = ["ADMIN_TOKEN", "INGEST_TOKEN", "ENCRYPTION_KEY"];
/** Plain settings with no development default, passed on only when set in the environment. */
const OPTIONAL = [
	"RETENTION_DAYS",
	"SWEEP_GRACE_SECONDS",
	"ALLOW_HTTP",
	"REGIONS",
	"SENDER_IPS",
	"SHARDS_CLOSED",
	"EGRESS_PROXY_URL",
	"CIRCUIT_COOLDOWN_SECONDS",
	"CIRCUIT_MAX_COOLDOWN_SECONDS",
	// An optional secret; locally it travels as a --var like the plain settings.
	"EGRESS_PROXY_SECRET",
];
const settings: Record<string, string> = Object.fromEntries([
	...Object.entries(DEV_SETTINGS).map(([name, value]) => [name, process.env[name] ?? value]),
	...OPTIONAL.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])),
	// Each region's own relay secret (EGRESS_PROXY_SECRET_EU, …), likewise.
	...Object.entries(process.env).filter(([name, value]) => /^EGRESS_PROXY_SECRET_[A-Z0-9_]+$/.test(name) && value),
]);
const secrets = Object.fromEntries(Object.entries(settings).filter(([name]) => SECRETS.includes(name)));

/** `wrangler dev` itself, with its inspector (DevTools: chrome://inspect, or the URL its /json lists). */
const startWithInspector = () => {
	// Plain settings reach wrangler as --var, secrets through its environment.
	const vars = Object.entries(settings)
		.filter(([name]) => !SECRETS.includes(name))
		.flatMap(([name, value]) => ["--var", `${name}:${value}`]);
	const dev = spawn(
		wrangler,
		[
			"dev",
			"--local",
			"--ip",
			host,
			"--port",
			String(port),
			"--show-interactive-dev-session=false",
			"--inspector-port",
			String(inspectorPort),
			...persist,
			...vars,
		],
		{
			cwd: root,
			// Its own process group, so a signal reaches wrangler's own child and workerd as well.
			detached: true,
			stdio: ["ignore", "inherit", "inherit"],
			env: { WRANGLER_SEND_METRICS: "false", ...process.env, ...secrets },
		},
	);
	for (const signal of ["SIGINT", "SIGTERM"] as const) {
		process.on(signal, () => {
			try {
				if (dev.pid) process.kill(-dev.pid, signal);
			} catch {}
			void local?.close();
		});
	}
	dev.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
};

/** The same local runtime as `wrangler dev` through wrangler's API (./local-runtime.ts), without the inspector. */
const startWithoutInspector = async () => {
	process.env.WRANGLER_SEND_METRICS ??= "false";
	const worker = await startLocalWorker({
		config: join(root, "wrangler.toml"),
		vars: Object.fromEntries(Object.entries(settings).filter(([name]) => !SECRETS.includes(name))),
		secrets,
		host,
		port,
		persist: stateDir ?? join(root, ".wrangler", "state"),
		watch: true,
		logs: runtime.workerLogs,
	});
	for (const signal of ["SIGINT", "SIGTERM"] as const) {
		process.on(signal, () => {
			void Promise.allSettled([worker.dispose(), local?.close()]).then(() => process.exit(0));
		});
	}
};

log(
	`starting wrangler dev on http://${host}:${port} (${inspector ? `DevTools inspector on 127.0.0.1:${inspectorPort}` : "DevTools inspector off; HOOKLINE_INSPECTOR=1 turns it on"}) …`,
);
if (runtime.quietRequests)
	log(`no line per request served${local ? " or relayed" : ""}; HOOKLINE_REQUEST_LOG=1 prints them`);
if (!runtime.observability) log("wrangler's local observability off; X_LOCAL_OBSERVABILITY=true turns it on");
if (inspector) startWithInspector();
else
	await startWithoutInspector().catch((err: Error) => {
		log(`wrangler dev did not start: ${err.message}`);
		process.exit(1);
	});

const base = `http://${host}:${port}`;
const announce = async () => {
	for (let i = 0; i < 600; i++) {
		try {
			const res = await fetch(`${base}/healthz`);
			if (res.ok) break;
		} catch {}
		await new Promise((r) => setTimeout(r, 200));
	}
	const admin = settings.ADMIN_TOKEN;
	const ingest = settings.INGEST_TOKEN;
	log(`ready on ${base} (admin token: ${admin}, ingest token: ${ingest})`);
	log("send a first event:");
	log(`  curl -X POST ${base}/v1/events -H 'authorization: Bearer ${ingest}' \\`);
	log(`    -H 'content-type: application/json' -d '{"type":"loan.created","data":{"loanId":"L-1"}}'`);
	log(`API reference: ${base}/openapi.json · docs/walk-through.md walks through creating a webhook`);
	runSweeper();
};

const sweepEvery = Number(process.env.HOOKLINE_SWEEP_INTERVAL_MS ?? 60_000);
const runSweeper = () => {
	const trigger = async () => {
		try {
			await fetch(`${base}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("* * * * *")}`);
		} catch {
			// wrangler dev is restarting or gone; the next tick tries again.
		}
	};
	void trigger();
	setInterval(trigger, sweepEvery).unref();
};
void announce();
