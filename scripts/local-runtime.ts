// What `npm start` leaves out of wrangler's local runtime, and the switch that
// puts each back. The first two cost something on every subrequest, and a
// delivery makes several (a D1 call, a queue message, a Durable Object call, a
// fetch), so they cost Hookline more than a one-fetch worker; the third costs
// every request served (docs/performance-log.md, "the `npm start` path"):
//   - the DevTools inspector: off in startLocalWorker below; scripts/start.ts
//     runs `wrangler dev` itself for `--inspect` (HOOKLINE_INSPECTOR=1);
//   - local observability: wrangler streams every invocation's spans and logs
//     to a collector that writes them to SQLite in the local state (for the
//     local explorer's traces). Off unless X_LOCAL_OBSERVABILITY (wrangler's
//     own switch) is set: `X_LOCAL_OBSERVABILITY=true npm start`;
//   - the request lines ("POST /v1/events 202 Accepted (12ms)"): each is an HTTP
//     call from workerd to wrangler's Node process and a write to the terminal;
//     the local egress proxies' line per relayed attempt goes with them.
//     Off unless HOOKLINE_REQUEST_LOG=1; WRANGLER_LOG, when set, decides
//     instead (wrangler follows it for all of its output).
// The worker's own log lines are printed either way (but for WRANGLER_LOG=none).

/** Wrangler's log levels at which it prints a worker's `console.log` lines itself. */
const PRINTS_WORKER_LINES = ["log", "debug"];
/** The levels at which its front proxy sends a line per request served. */
const PRINTS_REQUEST_LINES = ["info", ...PRINTS_WORKER_LINES];

/**
 * Sets the environment wrangler reads when it starts a worker, so it runs
 * before. `keepRequestLines`: for `wrangler dev` run as a command (the inspector
 * mode), which keeps its own output as it is.
 */
export const leanLocalRuntime = (env: NodeJS.ProcessEnv = process.env, { keepRequestLines = false } = {}) => {
	env.X_LOCAL_OBSERVABILITY ??= "false";
	// Below "info", wrangler's front proxy does not send its request lines at all.
	const quietRequests = !keepRequestLines && env.HOOKLINE_REQUEST_LOG !== "1" && env.WRANGLER_LOG === undefined;
	if (quietRequests) env.WRANGLER_LOG = "warn";
	const level = env.WRANGLER_LOG?.toLowerCase() ?? "log";
	return {
		quietRequests,
		/** Whether a line per request is printed: wrangler's, and the local egress proxies' per relay. */
		requestLines: PRINTS_REQUEST_LINES.includes(level),
		observability: env.X_LOCAL_OBSERVABILITY.toLowerCase() !== "false",
		/**
		 * Prints the worker's own lines where wrangler would drop them (below
		 * "log"), as they are: wrangler's own printing also maps error stacks
		 * to the sources. Undefined where wrangler prints them.
		 */
		workerLogs:
			keepRequestLines || PRINTS_WORKER_LINES.includes(level) || level === "none"
				? undefined
				: (entry: { level: string; message: string }) =>
						(entry.level === "warn" || entry.level === "error" ? process.stderr : process.stdout).write(
							`${entry.message}\n`,
						),
	};
};

/**
 * A worker on wrangler's local runtime (workerd with local D1, Queues and
 * Durable Objects, the front proxy of `wrangler dev`) through wrangler's API,
 * without the inspector: how `npm start` runs Hookline, and the bench runs
 * Hookline and its ceilings. `vars` become plain-text bindings, `secrets`
 * secret ones; `logs` gets the worker's lines (wrangler prints them without it).
 * Call leanLocalRuntime first.
 */
export const startLocalWorker = async ({
	config,
	vars = {},
	secrets = {},
	host,
	port,
	persist,
	watch,
	logs,
}: {
	config: string;
	vars?: Record<string, string>;
	secrets?: Record<string, string>;
	host: string;
	port: number;
	persist?: string;
	watch: boolean;
	logs?: (entry: { level: string; message: string }) => void;
}) => {
	const { unstable_startWorker } = await import("wrangler");
	const bindings = (type: "plain_text" | "secret_text", values: Record<string, string>) =>
		Object.entries(values).map(([name, value]) => [name, { type, value }] as const);
	const worker = await unstable_startWorker({
		config,
		bindings: Object.fromEntries([...bindings("plain_text", vars), ...bindings("secret_text", secrets)]),
		dev: {
			server: { hostname: host, port },
			inspector: false,
			watch,
			...(persist ? { persist } : {}),
			...(logs ? { structuredLogsHandler: logs } : {}),
		},
	});
	await worker.ready;
	return worker;
};
