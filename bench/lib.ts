// Shared parts of `npm run bench` and `npm run chaos`: a lean keep-alive
// receiver that logs arrivals, workers started in-process for the bench,
// local migrations and timing helpers. Loopback only; every loop is bounded.
import { spawnSync } from "node:child_process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
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
 * with the DevTools inspector off: the same local runtime (workerd, local D1,
 * Queues and Durable Objects) as `wrangler dev`, without the inspector tracing
 * every subrequest. Hookline and both ceilings run on this one path.
 */
export const startInProcess = async (
	configPath: string,
	{ vars = {}, persist }: { vars?: Record<string, string>; persist?: string } = {},
) => {
	const { unstable_startWorker } = await import("wrangler");
	const port = await freePort();
	const worker = await unstable_startWorker({
		config: configPath,
		bindings: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, { type: "plain_text" as const, value: v }])),
		dev: {
			server: { hostname: "127.0.0.1", port },
			inspector: false,
			watch: false,
			...(persist ? { persist } : {}),
			structuredLogsHandler: () => {},
		},
	});
	await worker.ready;
	return { url: `http://127.0.0.1:${port}`, stop: () => worker.dispose() };
};

/** Applies Hookline's D1 migrations to local state in `persist`. */
export const migrateLocal = (persist: string) => {
	const result = spawnSync(
		join(root, "node_modules", ".bin", "wrangler"),
		["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist],
		{ cwd: root, stdio: "ignore", env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" } },
	);
	if (result.status !== 0) throw new Error("could not apply the D1 migrations");
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
