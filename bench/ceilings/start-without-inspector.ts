// A ceiling worker started the way `npm start` starts Hookline: wrangler's local
// runtime through its API, in a Node process of its own, the DevTools inspector
// off. Usage: node start-without-inspector.ts <wrangler.toml> <port> <state dir> [NAME=value …]
import { unstable_startWorker } from "wrangler";

const [config, port, persist, ...vars] = process.argv.slice(2);
if (!config || !port || !persist)
	throw new Error("usage: start-without-inspector.ts <config> <port> <state> [NAME=value …]");
const worker = await unstable_startWorker({
	config,
	bindings: Object.fromEntries(
		vars.map((pair) => {
			const at = pair.indexOf("=");
			return [pair.slice(0, at), { type: "plain_text" as const, value: pair.slice(at + 1) }];
		}),
	),
	dev: { server: { hostname: "127.0.0.1", port: Number(port) }, inspector: false, watch: false, persist },
});
for (const signal of ["SIGINT", "SIGTERM"] as const)
	process.on(signal, () => void worker.dispose().then(() => process.exit(0)));
await worker.ready;
