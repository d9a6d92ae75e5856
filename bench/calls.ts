// `npm run bench:calls`: what one call of each kind costs the local runtime
// when requests come one at a time at a steady rate (the shape of the
// latency phase of `npm run bench`), as CPU time of the main thread of the
// workerd process that runs the worker. Each path of bench/ceilings/calls.ts
// makes exactly one call; its cost is the difference to the bare request.
// Linux only (reads /proc). Loopback only; every loop is bounded.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Agent, request } from "undici";

process.env.WRANGLER_LOG ??= "warn";

import {
	benchState,
	benchStateRoot,
	describeStateRoot,
	log,
	percentile,
	root,
	sleep,
	startArrivalReceiver,
	startInProcess,
} from "./lib.ts";

const RATE = Number(process.env.CALLS_RATE ?? 56);
const REQUESTS = Number(process.env.CALLS_REQUESTS ?? 500);
const PATHS = ["/", "/d1-read", "/d1-write", "/queue", "/durable-object", "/fetch"] as const;

/** CPU milliseconds of each workerd process's main thread (the thread that runs JavaScript). */
const mainThreadCpu = () => {
	let pids: string[];
	try {
		pids = execFileSync("pgrep", ["-x", "workerd"], { encoding: "utf8" }).trim().split("\n");
	} catch {
		return new Map<string, number>();
	}
	const ticks = new Map<string, number>();
	for (const pid of pids) {
		const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8");
		const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
		ticks.set(pid, (Number(fields[11]) + Number(fields[12])) * 10); // utime + stime, 10 ms ticks
	}
	return ticks;
};

const main = async () => {
	log(describeStateRoot());
	const receiver = await startArrivalReceiver(() => ({ status: 200 }));
	const state = benchState("hookline-calls-");
	const before = new Set(mainThreadCpu().keys());
	const worker = await startInProcess(join(root, "bench", "ceilings", "calls.toml"), {
		persist: state,
		vars: { TARGET_URL: `${receiver.url}/calls` },
	});
	// The process this worker runs in is the workerd that started last and serves no other worker.
	const pids = [...mainThreadCpu().keys()].filter((pid) => !before.has(pid));
	if (pids.length === 0) {
		await worker.stop();
		await receiver.close();
		rmSync(state, { recursive: true, force: true });
		throw new Error("found no workerd process in /proc to measure: npm run bench:calls needs Linux (pgrep and /proc)");
	}
	const agent = new Agent({ connections: 10 });
	const phases: { path: string; latencyP50Ms: number; cpuMs: Map<string, number> }[] = [];
	try {
		for (const path of PATHS) {
			log(`${path}: ${REQUESTS} requests at ${RATE}/s…`);
			await request(`${worker.url}${path}`, { method: "POST", body: "{}", dispatcher: agent }).then((r) =>
				r.body.dump(),
			);
			const cpuBefore = mainThreadCpu();
			const latencies: number[] = [];
			const inflight: Promise<void>[] = [];
			const start = Date.now();
			for (let i = 0; i < REQUESTS; i++) {
				const due = start + (i * 1000) / RATE;
				if (due > Date.now()) await sleep(due - Date.now());
				const sent = Date.now();
				inflight.push(
					request(`${worker.url}${path}`, { method: "POST", body: "{}", dispatcher: agent }).then(async (r) => {
						await r.body.dump();
						latencies.push(Date.now() - sent);
					}),
				);
			}
			await Promise.all(inflight);
			await sleep(500); // the queue's consumer runs after the answer
			const cpuAfter = mainThreadCpu();
			phases.push({
				path,
				latencyP50Ms: percentile(latencies, 50),
				cpuMs: new Map(pids.map((pid) => [pid, (cpuAfter.get(pid) ?? 0) - (cpuBefore.get(pid) ?? 0)])),
			});
		}
	} finally {
		await agent.close();
		await worker.stop();
		await receiver.close();
		rmSync(state, { recursive: true, force: true });
	}
	// wrangler runs two workerd processes: a front proxy, and the worker with its bindings (the
	// D1, queue and Durable Object simulators), which spends more over the whole run.
	const total = (pid: string) => phases.reduce((sum, p) => sum + (p.cpuMs.get(pid) ?? 0), 0);
	const workerPid = pids.reduce((a, b) => (total(b) > total(a) ? b : a), pids[0] ?? "");
	const rows = phases.map((p) => ({
		path: p.path,
		latencyP50Ms: p.latencyP50Ms,
		cpuMsPerRequest: (p.cpuMs.get(workerPid) ?? 0) / REQUESTS,
		frontProxyCpuMsPerRequest:
			[...p.cpuMs].reduce((sum, [pid, ms]) => sum + (pid === workerPid ? 0 : ms), 0) / REQUESTS,
	}));
	const bare = rows[0]?.cpuMsPerRequest ?? 0;
	const dir = join(root, ".artifacts", "bench");
	mkdirSync(dir, { recursive: true });
	const file = join(dir, `calls-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
	writeFileSync(
		file,
		`${JSON.stringify({ rate: RATE, requests: REQUESTS, stateDirectory: benchStateRoot(), rows }, null, 2)}\n`,
	);
	console.log(`\nOne call per request at ${RATE}/s: main-thread CPU of the worker's workerd process`);
	console.log(`  ${describeStateRoot()}`);
	console.log(`  ${"path".padEnd(16)} ${"ms/request".padStart(10)} ${"the call".padStart(9)} ${"p50 ms".padStart(7)}`);
	for (const r of rows)
		console.log(
			`  ${r.path.padEnd(16)} ${r.cpuMsPerRequest.toFixed(2).padStart(10)} ${(r.path === "/" ? "" : `+${(r.cpuMsPerRequest - bare).toFixed(2)}`).padStart(9)} ${String(r.latencyP50Ms).padStart(7)}`,
		);
	console.log(`\n  result: ${file}`);
};

main().catch((err) => {
	console.error(err);
	process.exit(1);
});
