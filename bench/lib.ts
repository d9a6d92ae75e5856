// Shared parts of `npm run bench` and `npm run chaos`: a lean keep-alive
// receiver that logs arrivals, wrangler dev for the ceiling workers, timing
// helpers and a paced sender. Loopback only; every loop is bounded.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { freePort } from "../test/support/local-hookline.ts";

export const root = join(import.meta.dirname, "..");

export const log = (line: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);

export type Arrival = { key: string; eventId: string; at: number; status: number | "reset" | "timeout" };

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
					if (!res.destroyed) respond();
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

/** A ceiling worker under `wrangler dev`, the same path and runtime Hookline runs on. */
export const startCeiling = async (name: "noop" | "raw-fetch", vars: Record<string, string> = {}) => {
	const port = await freePort();
	const child: ChildProcess = spawn(
		join(root, "node_modules", ".bin", "wrangler"),
		[
			"dev",
			"-c",
			join(root, "bench", "ceilings", `${name}.toml`),
			"--local",
			"--ip",
			"127.0.0.1",
			"--port",
			String(port),
			"--show-interactive-dev-session=false",
			...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
		],
		{ cwd: root, detached: true, stdio: "ignore", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
	);
	const url = `http://127.0.0.1:${port}`;
	const until = Date.now() + 60_000;
	for (;;) {
		try {
			if ((await fetch(url, { method: "POST", body: "{}" })).status === 202) break;
		} catch {}
		if (Date.now() > until || child.exitCode !== null) throw new Error(`ceiling ${name} did not start`);
		await new Promise((r) => setTimeout(r, 250));
	}
	return {
		url,
		stop: async () => {
			try {
				if (child.pid) process.kill(-child.pid, "SIGKILL");
			} catch {}
			await new Promise((r) => setTimeout(r, 500));
		},
	};
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
