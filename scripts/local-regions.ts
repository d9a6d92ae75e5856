// The two regions `npm start` runs out of the box: an egress proxy per region,
// each listening on and sending from its own loopback address (Linux routes all
// of 127.0.0.0/8 to this machine), so a receiver on 127.0.0.1 sees from the
// source address which region a delivery left from. The worker gets them as
// REGIONS. docs/egress-proxy.md#try-it-locally shows them at work.
import { startEgressProxy } from "../egress-proxy/server.ts";

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
 * on each address), accepting `secret`, and answers the REGIONS value that
 * names them. Each refused request is logged through `log`, and each relayed
 * one too with `relayLines` (npm start's line per request: off by default,
 * as ./local-runtime.ts decides for wrangler's).
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
	const started: Awaited<ReturnType<typeof startEgressProxy>>[] = [];
	const close = async () => {
		await Promise.all(started.map((proxy) => proxy.close()));
	};
	try {
		for (const { name, address } of LOCAL_REGIONS) {
			started.push(
				await startEgressProxy({
					secrets: [secret],
					// Local development: receivers on loopback, over http:, as ALLOW_PRIVATE_TARGETS allows the worker.
					policy: { allowPrivate: true, allowHttp: true },
					host: address,
					port,
					bindAddress: address,
					log: (entry) => {
						if (relayLines || entry.msg !== "relayed") log(`[egress ${name}] ${JSON.stringify(entry)}`);
					},
				}),
			);
		}
	} catch (err) {
		await close();
		throw new Error(
			`could not start the local egress proxies on ${LOCAL_REGIONS.map((r) => r.address).join(" and ")} (${String(err)}). ` +
				"On macOS, add the addresses first (sudo ifconfig lo0 alias 127.0.0.2 up; the same for 127.0.0.3), " +
				"or run without regions: REGIONS='[]' npm start.",
		);
	}
	const regions = LOCAL_REGIONS.map(({ name, address }, i) => ({
		name,
		egressProxyUrl: started[i]?.url,
		senderIps: [address],
	}));
	return { regions: JSON.stringify(regions), close };
};
