// `npm run bench:stream`: events per second through one pull stream, on the
// same local runtime as `npm run bench` (workerd in this process, local D1,
// loopback). Two phases on one subscription:
//   drain  — BENCH_STREAM_EVENTS events are ingested first, then one stream
//            reads the backlog (batchLimit BENCH_STREAM_BATCH), committing
//            each batch as a consumer would: events/s from open to the last;
//   follow — a stream stays open while events are posted at BENCH_STREAM_RATE
//            per second for BENCH_STREAM_SECONDS: how many arrived, and the
//            post→arrival latency (batchTimeoutMs BENCH_STREAM_BATCH_MS).
import { join } from "node:path";
import { BENCH_TOKENS, describeStateRoot, log, paced, percentile, root, sleep, startHookline } from "./lib.ts";

const EVENTS = Number(process.env.BENCH_STREAM_EVENTS ?? 20_000);
const BATCH = Number(process.env.BENCH_STREAM_BATCH ?? 100);
const RATE = Number(process.env.BENCH_STREAM_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_STREAM_SECONDS ?? 20);
const BATCH_MS = Number(process.env.BENCH_STREAM_BATCH_MS ?? 1000);

type Batch = { cursor: string; events: { id: string }[] };

/** One stream read to its end or until `enough`; each batch's cursor committed in order, off the reading path. */
const follow = async (
	url: string,
	subscription: string,
	query: string,
	onBatch: (batch: Batch, at: number) => boolean,
	onOpen: () => void = () => {},
) => {
	const headers = { authorization: `Bearer ${BENCH_TOKENS.admin}`, "content-type": "application/json" };
	const abort = new AbortController();
	const open = () =>
		fetch(`${url}/v1/subscriptions/${subscription}/events?${query}`, { headers, signal: abort.signal });
	// The stream before hung up: its lease goes once the server has noticed (docs/streaming.md).
	let res = await open();
	for (const until = Date.now() + 15_000; res.status === 409 && Date.now() < until; res = await open()) {
		await res.body?.cancel();
		await sleep(100);
	}
	if (res.status !== 200) throw new Error(`stream: ${res.status} ${await res.text()}`);
	onOpen();
	const reader = (res.body as ReadableStream<Uint8Array>).getReader();
	const decoder = new TextDecoder();
	let buffer = "";
	let commits = Promise.resolve();
	const commit = (cursor: string) => {
		commits = commits.then(async () => {
			const done = await fetch(`${url}/v1/subscriptions/${subscription}/cursors`, {
				method: "POST",
				headers,
				body: JSON.stringify({ cursor }),
			});
			if (done.status !== 204) throw new Error(`commit: ${done.status} ${await done.text()}`);
		});
	};
	for (let more = true; more; ) {
		const { done, value } = await reader.read();
		if (done) break;
		const at = Date.now();
		buffer += decoder.decode(value, { stream: true });
		for (let nl = buffer.indexOf("\n"); nl >= 0 && more; nl = buffer.indexOf("\n")) {
			const batch = JSON.parse(buffer.slice(0, nl)) as Batch;
			buffer = buffer.slice(nl + 1);
			if (batch.events.length > 0) commit(batch.cursor);
			more = !onBatch(batch, at);
		}
	}
	abort.abort();
	await commits;
};

const main = async () => {
	log(describeStateRoot());
	const hookline = await startHookline(join(root, "wrangler.toml"));
	try {
		const ingest = { authorization: `Bearer ${BENCH_TOKENS.ingest}`, "content-type": "application/json" };
		const subscription = (await hookline.api("POST", "/v1/subscriptions", {
			name: "bench",
			eventTypes: ["bench.*"],
			startFrom: "end",
		})) as { id: string };

		log(`drain: ingesting ${EVENTS} events…`);
		const backlog = await paced(`${hookline.url}/v1/events`, ingest, 2000, EVENTS, (n) => log(`  ${n} sent`));
		await backlog.close();
		log("drain: one stream reads them…");
		let drained = 0;
		let batches = 0;
		let opened = Date.now();
		let last = opened;
		await follow(
			hookline.url,
			subscription.id,
			`batchLimit=${BATCH}&batchTimeoutMs=1000&streamTimeoutMs=300000`,
			(b, at) => {
				drained += b.events.length;
				batches += b.events.length > 0 ? 1 : 0;
				last = at;
				return drained >= backlog.sentAt.size;
			},
			() => {
				opened = Date.now();
			},
		);
		const drainRate = drained / ((last - opened) / 1000);

		log(`follow: ${RATE}/s for ${SECONDS} s while one stream is open…`);
		const arrived = new Map<string, number>();
		const total = RATE * SECONDS;
		let sentAt = new Map<string, number>();
		let streamOpen = () => {};
		const isOpen = new Promise<void>((resolve) => (streamOpen = resolve));
		const following = follow(
			hookline.url,
			subscription.id,
			`batchLimit=${BATCH}&batchTimeoutMs=${BATCH_MS}&streamTimeoutMs=${(SECONDS + 30) * 1000}`,
			(b, at) => {
				for (const e of b.events) if (!arrived.has(e.id)) arrived.set(e.id, at);
				return arrived.size >= total;
			},
			streamOpen,
		);
		// Latency counts from an open stream: the one before may hold the lease a moment longer.
		await isOpen;
		const live = await paced(`${hookline.url}/v1/events`, ingest, RATE, total, () => {});
		sentAt = live.sentAt;
		await live.close();
		await Promise.race([following, new Promise((r) => setTimeout(r, 30_000))]);
		const latencies = [...sentAt].flatMap(([id, at]) => (arrived.has(id) ? [(arrived.get(id) as number) - at] : []));

		console.log("Hookline pull stream (one stream, local workerd in-process, loopback)");
		console.log(`  ${describeStateRoot()}`);
		console.log(
			`  drain    ${drained} events in ${((last - opened) / 1000).toFixed(1)} s, ${batches} batches of ≤ ${BATCH}: ${drainRate.toFixed(0)} events/s`,
		);
		console.log(
			`  follow   ${arrived.size}/${sentAt.size} arrived at ${RATE}/s posted; post→arrival p50 ${percentile(latencies, 50)} ms, p95 ${percentile(latencies, 95)} ms, p99 ${percentile(latencies, 99)} ms (batchTimeoutMs ${BATCH_MS})`,
		);
	} finally {
		await hookline.stop();
	}
};

await main();
