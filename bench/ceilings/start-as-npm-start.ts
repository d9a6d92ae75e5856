// A ceiling worker started the way `npm start` starts Hookline: wrangler's local
// runtime through its API (../lib.ts startInProcess), in a Node process of its
// own, without what npm start leaves out (the DevTools inspector, the request
// lines, local observability: scripts/local-runtime.ts).
// Usage: node start-as-npm-start.ts <wrangler.toml> <port> <state dir> [NAME=value …]
import { startInProcess } from "../lib.ts";

const [config, port, persist, ...pairs] = process.argv.slice(2);
if (!config || !port || !persist)
	throw new Error("usage: start-as-npm-start.ts <config> <port> <state> [NAME=value …]");
const vars = Object.fromEntries(
	pairs.map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
);
const worker = await startInProcess(config, { vars, persist, port: Number(port) });
for (const signal of ["SIGINT", "SIGTERM"] as const)
	process.on(signal, () => void worker.stop().then(() => process.exit(0)));
