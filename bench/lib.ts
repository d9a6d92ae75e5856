// Shared parts of `npm run bench` and `npm run chaos`: a lean keep-alive
// receiver that logs arrivals, workers started in-process for the bench,
// local migrations and timing helpers. Loopback only; every loop is bounded.
import { accessSync, constants, mkdtempSync, rmSync, statfsSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, request } from "undici";
import { migrateLocal as migrateEveryDatabase } from "../scripts/d1-migrations.ts";
import { leanLocalRuntime, startLocalWorker } from "../scripts/local-runtime.ts";
import { freePort } from "../test/support/local-hookline.ts";

export const root = join(import.meta.dirname, "..");

export const log = (line: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);

/**
 * What the receiver did: a status it answered at once; "reset" (dropped the
 * connection); "timeout" (still waiting, or the sender hung up first); or
 * "late", a status answered after a deliberate delay longer than the sender's
 * timeout, which by the contract is not a success even when it is 2xx.
 */
export type Arrival = { key: string; eventId: string; at: number; status: number | "reset" | "timeout" | "late" };

/** How the receiver answers one request: a status, a dropped connection, or a delay before a status. */
export type Behaviour = (
	req: IncomingMessage,
) => { status: number } | { reset: true } | { delayMs: number; status: number };

export const startArrivalReceiver = async (behaviour: Behaviour = () => ({ status: 200 })) => {
	const arrivals: Arrival[] = [];
	const server = createServer((req: IncomingMessage, res: ServerResponse) => {
		const chunks: Buffer[] = [];
		req.on("data", (c: Buffer) => chunks.push(c));
		req.on("end", () => {
			const at = Date.now();
			let eventId = "";
			try {
				eventId = String((JSON.parse(Buffer.concat(chunks).toString("utf8")) as { id?: string }).id ?? "");
			} catch {}
			const key = String(req.headers["x-notifications-idempotency-key"] ?? "");
			const answer = behaviour(req);
			const arrival: Arrival = { key, eventId, at, status: "reset" };
			arrivals.push(arrival);
			if ("reset" in answer) {
				req.socket.destroy();
				return;
			}
			const respond = () => {
				arrival.status = answer.status;
				res.statusCode = answer.status;
				res.end("ok");
			};
			if ("delayMs" in answer) {
				arrival.status = "timeout";
				setTimeout(() => {
					if (res.destroyed) return;
					res.statusCode = answer.status;
					res.end("late");
					arrival.status = "late";
				}, answer.delayMs).unref();
			} else respond();
		});
	});
	server.keepAliveTimeout = 60_000;
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	return {
		url,
		arrivals,
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
};

/**
 * A worker started in this process through wrangler's `unstable_startWorker`
 * as `npm start` starts Hookline: the same local runtime (workerd, local D1,
 * Queues and Durable Objects) as `wrangler dev`, without the inspector, the
 * request lines and local observability (scripts/local-runtime.ts). Hookline
 * and the ceilings run on this one path. What the worker logs is not printed;
 * `logs` gets each line.
 */
export const startInProcess = async (
	configPath: string,
	{
		vars = {},
		persist,
		port: wanted,
		logs = () => {},
	}: { vars?: Record<string, string>; persist?: string; port?: number; logs?: (message: string) => void } = {},
) => {
	leanLocalRuntime(process.env);
	const port = wanted ?? (await freePort());
	const worker = await startLocalWorker({
		config: configPath,
		vars,
		host: "127.0.0.1",
		port,
		persist,
		watch: false,
		logs: (entry) => logs(entry.message),
	});
	return { url: `http://127.0.0.1:${port}`, stop: () => worker.dispose() };
};

/** Applies Hookline's D1 migrations (catalog and every shard) to local state in `persist`. */
export const migrateLocal = (persist: string) => {
	const failed = migrateEveryDatabase(root, { persist, quiet: true });
	if (failed) throw new Error(`could not apply the D1 migrations of ${failed}`);
};

export const percentile = (values: number[], p: number) => {
	if (values.length === 0) return Number.NaN;
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every `everyMs` until it returns true or `timeoutMs` passes; says which. */
export const waitFor = async (check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 100) => {
	const until = Date.now() + timeoutMs;
	while (Date.now() < until) {
		if (await check()) return true;
		await sleep(everyMs);
	}
	return false;
};

/** /dev/shm is used only with at least this much free (Docker's default is 64 MB). */
const SHM_MIN_FREE_BYTES = 1024 ** 3;

/**
 * Where the benchmarks keep the local runtime's state (D1 and Durable Object
 * SQLite files): BENCH_STATE_DIR if set (it must be an existing, writable
 * folder), else /dev/shm where it exists, is writable and has 1 GiB free
 * (memory), else the system's temporary folder. Local workerd syncs every D1
 * and Durable Object commit to its file on the thread that runs the worker, so
 * with the state on a disk Hookline's latency mostly measures the machine's
 * disk (on this VM, p50 ingest→arrival 78–126 ms on disk against 41–46 ms in
 * memory, same code, same rate). Computed once; the bench commands print it.
 */
export const benchStateRoot = () => {
	chosenStateRoot ??= chooseStateRoot();
	return chosenStateRoot;
};
let chosenStateRoot: { dir: string; why: string } | undefined;

const chooseStateRoot = (): { dir: string; why: string } => {
	const asked = process.env.BENCH_STATE_DIR;
	if (asked) {
		try {
			if (!statSync(asked).isDirectory()) throw new Error("not a folder");
			accessSync(asked, constants.W_OK);
		} catch (err) {
			throw new Error(`BENCH_STATE_DIR=${asked} is not a writable folder (${(err as Error).message})`);
		}
		return { dir: asked, why: "BENCH_STATE_DIR" };
	}
	try {
		if (statSync("/dev/shm").isDirectory()) {
			accessSync("/dev/shm", constants.W_OK);
			const fs = statfsSync("/dev/shm");
			const free = fs.bavail * fs.bsize;
			if (free >= SHM_MIN_FREE_BYTES) return { dir: "/dev/shm", why: "memory" };
			return { dir: tmpdir(), why: `disk: /dev/shm has only ${Math.floor(free / 1024 ** 2)} MiB free` };
		}
	} catch {
		// No /dev/shm (not Linux) or not writable: the system's temporary folder.
	}
	return { dir: tmpdir(), why: "disk: no writable /dev/shm" };
};

/** One line for the bench commands' output: where the local state is, and why. */
export const describeStateRoot = () => {
	const { dir, why } = benchStateRoot();
	return `local state in ${dir} (${why}; BENCH_STATE_DIR to choose)`;
};

/** A fresh folder for one worker's local state, under benchStateRoot(). */
export const benchState = (prefix: string) => mkdtempSync(join(benchStateRoot().dir, prefix));

export const BENCH_TOKENS = { admin: "bench-admin-token", ingest: "bench-ingest-token" };

/** The settings Hookline runs with in the bench commands: their tokens, a fixed key, loopback receivers. */
export const BENCH_VARS = {
	ADMIN_TOKEN: BENCH_TOKENS.admin,
	INGEST_TOKEN: BENCH_TOKENS.ingest,
	ENCRYPTION_KEY: "YmVuY2gtb25seS1rZXktMzItYnl0ZXMtbG9uZyEhISE=",
	ALLOW_PRIVATE_TARGETS: "true",
};

/** Calls Hookline at `url` with the admin token; throws on an answer that is not 2xx. */
export const adminApi = (url: string) => async (method: string, path: string, body?: unknown) => {
	const res = await fetch(`${url}${path}`, {
		method,
		headers: { authorization: `Bearer ${BENCH_TOKENS.admin}`, "content-type": "application/json" },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const answer = (await res.json()) as Record<string, unknown>;
	// A setup step that failed would make every figure after it meaningless.
	if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(answer)}`);
	return answer;
};

/**
 * Hookline in this process, with fresh temporary state and the migrations
 * applied, from `configPath`; `api` calls it with the admin token and throws
 * on an answer that is not 2xx.
 */
export const startHookline = async (configPath: string, vars: Record<string, string> = {}) => {
	const state = benchState("hookline-bench-");
	migrateLocal(state);
	const worker = await startInProcess(configPath, {
		persist: state,
		vars: { ...BENCH_VARS, ...vars },
	});
	return {
		url: worker.url,
		api: adminApi(worker.url),
		stop: async () => {
			await worker.stop();
			rmSync(state, { recursive: true, force: true });
		},
	};
};

/**
 * `count` events POSTed to `url` at `rate` per second (an open loop: each goes
 * out on time whatever the answers), with the time each was sent by event id.
 */
export const paced = async (
	url: string,
	headers: Record<string, string>,
	rate: number,
	count: number,
	progress: (sent: number) => void,
) => {
	const agent = new Agent({ connections: 50, pipelining: 1 });
	const sentAt = new Map<string, number>();
	const start = Date.now();
	const inflight = new Set<Promise<void>>();
	let refused = 0;
	for (let i = 0; i < count; i++) {
		const due = start + (i * 1000) / rate;
		if (due > Date.now()) await sleep(due - Date.now());
		const id = `bench-e2e-${start}-${i}`;
		const postedAt = Date.now();
		const p = request(url, {
			method: "POST",
			headers,
			body: JSON.stringify({ id, type: "bench.load", data: { i } }),
			dispatcher: agent,
		})
			.then(async (res) => {
				await res.body.dump();
				// Latency counts from when the producer sent the event.
				if (res.statusCode === 202) sentAt.set(id, postedAt);
				else refused++;
			})
			.catch(() => {
				refused++;
			})
			.finally(() => inflight.delete(p));
		inflight.add(p);
		if (i % 1000 === 999) progress(i + 1);
	}
	await Promise.all(inflight);
	return { sentAt, refused, start, close: () => agent.close() };
};

/** Sent→arrival latency of each event's first arrival, and how many arrived more than once. */
export const arrivalLatencies = (arrivals: Arrival[], sentAt: Map<string, number>) => {
	const seen = new Map<string, number>();
	const arrived = new Set(arrivals.map((a) => a.eventId));
	const latencies: number[] = [];
	for (const a of arrivals) {
		seen.set(a.key, (seen.get(a.key) ?? 0) + 1);
		const sent = sentAt.get(a.eventId);
		if (sent !== undefined && seen.get(a.key) === 1) latencies.push(a.at - sent);
	}
	return {
		latencies,
		duplicates: [...seen.values()].filter((n) => n > 1).length,
		lost: [...sentAt.keys()].filter((id) => !arrived.has(id)).length,
	};
};
