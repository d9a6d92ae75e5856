// What `npm start` leaves out of wrangler's local runtime, and the switch that
// puts each back. The first two cost something on every subrequest, and a
// delivery makes several (a D1 call, a queue message, a Durable Object call, a
// fetch), so they cost Hookline more than a one-fetch worker; the third costs
// every request served (docs/performance-log.md, "the `npm start` path"):
//   - the DevTools inspector: scripts/start.ts (`--inspect`, HOOKLINE_INSPECTOR=1);
//   - local observability: wrangler streams every invocation's spans and logs
//     to a collector that writes them to SQLite in the local state (for the
//     local explorer's traces). Off unless X_LOCAL_OBSERVABILITY (wrangler's
//     own switch) is set: `X_LOCAL_OBSERVABILITY=true npm start`;
//   - the request lines ("POST /v1/events 202 Accepted (12ms)"): each is an HTTP
//     call from workerd to wrangler's Node process and a write to the terminal.
//     Off unless HOOKLINE_REQUEST_LOG=1; WRANGLER_LOG, when set, decides
//     instead (wrangler follows it for all of its output).
// The worker's own log lines are printed either way.

/**
 * Sets the environment wrangler reads when it starts a worker, so it runs
 * before. `keepRequestLines`: for `wrangler dev` run as a command (the inspector
 * mode), which prints the worker's lines only at "info" and above.
 */
export const leanLocalRuntime = (env: NodeJS.ProcessEnv = process.env, { keepRequestLines = false } = {}) => {
	env.X_LOCAL_OBSERVABILITY ??= "false";
	// Below "info", wrangler's front proxy does not send its request lines at all.
	const quietRequests = !keepRequestLines && env.HOOKLINE_REQUEST_LOG !== "1" && env.WRANGLER_LOG === undefined;
	if (quietRequests) env.WRANGLER_LOG = "warn";
	return {
		quietRequests,
		observability: env.X_LOCAL_OBSERVABILITY !== "false",
		/** Prints the worker's own lines, which wrangler drops below "info"; undefined where wrangler prints them. */
		workerLogs: quietRequests
			? ({ level, message }: { level: string; message: string }) =>
					(level === "warn" || level === "error" ? process.stderr : process.stdout).write(`${message}\n`)
			: undefined,
	};
};
