// Starts Hookline the way `npm start` does (scripts/start.ts → wrangler dev)
// on a free port with its state in a temporary folder, for end-to-end tests
// and benchmarks. Everything stays on 127.0.0.1.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type LocalHookline = {
	url: string;
	adminToken: string;
	ingestToken: string;
	output: () => string;
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

export const startHookline = async ({ timeoutMs = 90_000 } = {}): Promise<LocalHookline> => {
	const port = await freePort();
	const stateDir = mkdtempSync(join(tmpdir(), "hookline-e2e-"));
	const root = join(import.meta.dirname, "..", "..");
	const adminToken = "e2e-admin-token";
	const ingestToken = "e2e-ingest-token";
	let output = "";
	const child = spawn(process.execPath, [join(root, "scripts", "start.ts")], {
		cwd: root,
		detached: true,
		stdio: ["ignore", "pipe", "pipe"],
		env: {
			...process.env,
			PORT: String(port),
			HOOKLINE_STATE_DIR: stateDir,
			ADMIN_TOKEN: adminToken,
			INGEST_TOKEN: ingestToken,
		},
	});
	child.stdout?.on("data", (d: Buffer) => {
		output += d.toString();
	});
	child.stderr?.on("data", (d: Buffer) => {
		output += d.toString();
	});
	const url = `http://127.0.0.1:${port}`;
	const stop = async () => {
		if (child.exitCode === null && child.pid) {
			const exited = new Promise((r) => child.once("exit", r));
			try {
				process.kill(-child.pid, "SIGTERM");
			} catch {}
			await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
			try {
				process.kill(-child.pid, "SIGKILL");
			} catch {}
		}
		rmSync(stateDir, { recursive: true, force: true });
	};
	try {
		await waitForHealth(url, child, timeoutMs);
	} catch (err) {
		await stop();
		throw new Error(`${(err as Error).message}\n--- output ---\n${output}`);
	}
	return { url, adminToken, ingestToken, output: () => output, stop };
};
