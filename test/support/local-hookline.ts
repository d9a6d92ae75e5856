// Starts Hookline the way `npm start` does (scripts/start.ts → wrangler dev)
// on a free port with its state in a temporary folder, for end-to-end tests
// and benchmarks. Everything stays on loopback: the service on 127.0.0.1, its
// two local regions' egress proxies on 127.0.0.2 and 127.0.0.3.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type LocalHookline = {
	url: string;
	/** The local state's folder (D1 and Durable Objects), removed by `stop`. */
	stateDir: string;
	adminToken: string;
	ingestToken: string;
	output: () => string;
	/** Kills the service (as a crash would) and starts it again on the same port and state. */
	restart: () => Promise<void>;
	stop: () => Promise<void>;
};

export const freePort = () =>
	new Promise<number>((resolve, reject) => {
		const server = createServer();
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => {
			const address = server.address();
			const port = typeof address === "object" && address ? address.port : 0;
			server.close(() => resolve(port));
		});
	});

const waitForHealth = async (url: string, child: ChildProcess, timeoutMs: number) => {
	const until = Date.now() + timeoutMs;
	while (Date.now() < until) {
		if (child.exitCode !== null) throw new Error(`hookline exited with ${child.exitCode} before it was ready`);
		try {
			if ((await fetch(`${url}/healthz`)).ok) return;
		} catch {}
		await new Promise((r) => setTimeout(r, 250));
	}
	throw new Error(`hookline was not ready within ${timeoutMs} ms`);
};

export const startHookline = async ({
	timeoutMs = 90_000,
	env = {},
}: {
	timeoutMs?: number;
	/** Added to this process's environment; undefined leaves a name out. */
	env?: Record<string, string | undefined>;
} = {}): Promise<LocalHookline> => {
	const port = await freePort();
	const stateDir = mkdtempSync(join(tmpdir(), "hookline-e2e-"));
	const root = join(import.meta.dirname, "..", "..");
	const adminToken = "e2e-admin-token";
	const ingestToken = "e2e-ingest-token";
	const url = `http://127.0.0.1:${port}`;
	let output = "";
	let child: ChildProcess | undefined;

	const launch = async () => {
		const started = spawn(process.execPath, [join(root, "scripts", "start.ts")], {
			cwd: root,
			detached: true,
			stdio: ["ignore", "pipe", "pipe"],
			env: {
				...process.env,
				PORT: String(port),
				HOOKLINE_STATE_DIR: stateDir,
				ADMIN_TOKEN: adminToken,
				INGEST_TOKEN: ingestToken,
				// The local regions' proxies on any free port: tests run beside one another and `npm start`.
				HOOKLINE_EGRESS_PORT: "0",
				...env,
			},
		});
		child = started;
		started.stdout?.on("data", (d: Buffer) => {
			output += d.toString();
		});
		started.stderr?.on("data", (d: Buffer) => {
			output += d.toString();
		});
		await waitForHealth(url, started, timeoutMs);
	};

	const kill = async (signal: NodeJS.Signals) => {
		const running = child;
		if (!running?.pid || running.exitCode !== null) return;
		const exited = new Promise((r) => running.once("exit", r));
		try {
			process.kill(-running.pid, signal);
		} catch {}
		await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
		try {
			process.kill(-running.pid, "SIGKILL");
		} catch {}
	};

	const stop = async () => {
		await kill("SIGTERM");
		rmSync(stateDir, { recursive: true, force: true });
	};
	try {
		await launch();
	} catch (err) {
		await stop();
		throw new Error(`${(err as Error).message}\n--- output ---\n${output}`);
	}
	return {
		url,
		stateDir,
		adminToken,
		ingestToken,
		output: () => output,
		restart: async () => {
			await kill("SIGKILL");
			output += "\n--- killed; restarting ---\n";
			await launch();
		},
		stop,
	};
};
