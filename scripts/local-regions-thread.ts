// The thread the local regions' egress proxies run on (./local-regions.ts
// starts it): their relays then take turns with each other only, not with
// wrangler's own work in `npm start`'s main thread (the local runtime's log
// calls, which the local queue awaits between batches, among it). It starts
// one proxy per region, answers "ready" with their URLs or "failed" with the
// reason, passes each log line it is to print back as a "log" message, and
// closes them on "close".
import { parentPort, workerData } from "node:worker_threads";
import { startEgressProxy } from "../egress-proxy/server.ts";

export type ThreadData = {
	regions: readonly { name: string; address: string }[];
	port: number;
	secret: string;
	relayLines: boolean;
};

export type ThreadMessage =
	| { kind: "ready"; urls: string[] }
	| { kind: "failed"; reason: string }
	| { kind: "log"; line: string }
	| { kind: "closed" };

const { regions, port, secret, relayLines } = workerData as ThreadData;
const post = (message: ThreadMessage) => parentPort?.postMessage(message);

const started: Awaited<ReturnType<typeof startEgressProxy>>[] = [];
const close = () => Promise.all(started.map((proxy) => proxy.close()));

parentPort?.on("message", (message: "close") => {
	if (message === "close") void close().then(() => post({ kind: "closed" }));
});

try {
	for (const { name, address } of regions) {
		started.push(
			await startEgressProxy({
				secrets: [secret],
				// Local development: receivers on loopback, over http:, as ALLOW_PRIVATE_TARGETS allows the worker.
				policy: { allowPrivate: true, allowHttp: true },
				host: address,
				port,
				bindAddress: address,
				log: (entry) => {
					if (relayLines || entry.msg !== "relayed")
						post({ kind: "log", line: `[egress ${name}] ${JSON.stringify(entry)}` });
				},
			}),
		);
	}
	post({ kind: "ready", urls: started.map((proxy) => proxy.url) });
} catch (err) {
	await close();
	post({ kind: "failed", reason: String(err) });
}
