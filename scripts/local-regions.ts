// The two regions `npm start` runs out of the box: an egress proxy per region,
// each listening on and sending from its own loopback address (Linux routes all
// of 127.0.0.0/8 to this machine), so a receiver on 127.0.0.1 sees from the
// source address which region a delivery left from. The worker gets them as
// REGIONS. docs/egress-proxy.md#try-it-locally shows them at work.
import { Worker } from "node:worker_threads";
import type { ThreadData, ThreadMessage } from "./local-regions-thread.ts";

/** Region names and the loopback address each one's proxy listens on and sends from. */
export const LOCAL_REGIONS = [
	{ name: "eu", address: "127.0.0.2" },
	{ name: "us", address: "127.0.0.3" },
] as const;

/** The relay secret both local proxies share with the worker; for local use only. */
export const LOCAL_RELAY_SECRET = "dev-egress-secret";

export type LocalRegions = { regions: string; close: () => Promise<void> };

/**
 * Starts one proxy per local region on `port` (0: any free port; the same port
 * on each address), accepting `secret`, on a thread of their own
 * (./local-regions-thread.ts), and answers the REGIONS value that names them.
 * Each refused request is logged through `log`, and each relayed one too with
 * `relayLines` (npm start's line per request: off by default, as
 * ./local-runtime.ts decides for wrangler's).
 */
export const startLocalRegions = async ({
	port,
	secret,
	log,
	relayLines,
}: {
	port: number;
	secret: string;
	log: (line: string) => void;
	relayLines: boolean;
}): Promise<LocalRegions> => {
	const data: ThreadData = { regions: LOCAL_REGIONS, port, secret, relayLines };
	const thread = new Worker(new URL("./local-regions-thread.ts", import.meta.url), { workerData: data });
	const answer = new Promise<ThreadMessage>((settle) => {
		thread.on("message", (message: ThreadMessage) => {
			if (message.kind === "log") log(message.line);
			else settle(message);
		});
		thread.once("error", (err) => settle({ kind: "failed", reason: String(err) }));
		thread.once("exit", () => settle({ kind: "failed", reason: "the proxies' thread ended" }));
	});
	const started = await answer;
	if (started.kind !== "ready") {
		await thread.terminate();
		throw new Error(
			`could not start the local egress proxies on ${LOCAL_REGIONS.map((r) => r.address).join(" and ")} (${started.kind === "failed" ? started.reason : started.kind}). ` +
				"On macOS, add the addresses first (sudo ifconfig lo0 alias 127.0.0.2 up; the same for 127.0.0.3), " +
				"or run without regions: REGIONS='[]' npm start.",
		);
	}
	// The proxies' own failures end their thread; deliveries then fail to connect and are retried.
	thread.on("error", (err) => log(`the local egress proxies stopped: ${String(err)}`));
	const close = async () => {
		const closed = new Promise<void>((done) => {
			thread.on("message", (message: ThreadMessage) => message.kind === "closed" && done());
			thread.once("exit", () => done());
		});
		thread.postMessage("close");
		await closed;
		await thread.terminate();
	};
	const regions = LOCAL_REGIONS.map(({ name, address }, i) => ({
		name,
		egressProxyUrl: started.urls[i],
		senderIps: [address],
	}));
	return { regions: JSON.stringify(regions), close };
};
