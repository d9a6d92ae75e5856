// One end-to-end burst of the `npm start` path: a webhook with the given
// settings, NPM_START_EVENTS events posted at CONNECTIONS, and what arrived:
// deliveries/s from the first post to the last arrival, how many had arrived
// by the last post's answer, the machine's CPU per event and the queue
// consumer's batches.

import { type Arrival, log, waitFor } from "../lib.ts";
import { CONNECTIONS, grewBy, load } from "../load.ts";
import { cpuText, measured } from "../machine-cpu.ts";
import { SAMPLE_EVENT } from "./ingest.ts";

export const NPM_START_EVENTS = Number(process.env.BENCH_NPM_START_EVENTS ?? 2000);

export type BurstTarget = {
	url: string;
	headers: Record<string, string>;
	ingestHeaders: Record<string, string>;
	metricsNow: () => Promise<Record<string, unknown>>;
};

export type EndToEndRun = {
	/** The webhook's settings beyond its defaults. */
	settings: Record<string, unknown>;
	events: number;
	accepted: number;
	deliveriesPerSecond: number;
	postingSeconds: number;
	arrivedWhilePosting: number;
	drainAfterPostingSeconds: number;
	cpuMsPerEvent?: number;
	consumerBatches: number;
	messagesPerBatch: number;
};

/** Creates the webhook, posts the burst and waits for every arrival; answers the run and the webhook's id. */
export const burst = async (
	hookline: BurstTarget,
	receiver: { url: string; arrivals: Arrival[] },
	what: string,
	settings: Record<string, unknown>,
) => {
	const created = await fetch(`${hookline.url}/v1/webhooks`, {
		method: "POST",
		headers: hookline.headers,
		body: JSON.stringify({ name: "bench", eventTypes: ["bench.load"], url: `${receiver.url}/npm-start`, ...settings }),
	});
	if (created.status !== 201) throw new Error(`creating the webhook: ${created.status} ${await created.text()}`);
	const { id: webhookId } = (await created.json()) as { id: string };

	log(`  end to end: ${NPM_START_EVENTS} events at ${CONNECTIONS} connections, ${what}…`);
	receiver.arrivals.length = 0;
	const metricsBefore = await hookline.metricsNow();
	const start = Date.now();
	const { result, cpuMsPer: cpuMsPerEvent } = await measured(
		async () => {
			const posted = await load(`${hookline.url}/v1/events`, hookline.ingestHeaders, SAMPLE_EVENT, {
				amount: NPM_START_EVENTS,
			});
			// Counted at the last post's answer (autocannon itself ends the run at its next 1 s sample).
			const arrivedWhilePosting = receiver.arrivals.filter((a) => a.at <= posted.lastResponseAt).length;
			await waitFor(() => receiver.arrivals.length >= posted.ok, 300_000, 100);
			return { posted, arrivedWhilePosting };
		},
		(r) => r.posted.ok,
	);
	const { posted, arrivedWhilePosting } = result;
	const metricsAfter = await hookline.metricsNow();
	const last = receiver.arrivals.at(-1)?.at ?? Date.now();
	const consumerBatches = grewBy(metricsBefore, metricsAfter, "queueBatches");
	const deliveriesPerSecond = receiver.arrivals.length / ((last - start) / 1000);
	const run: EndToEndRun = {
		settings,
		events: NPM_START_EVENTS,
		accepted: posted.ok,
		deliveriesPerSecond,
		postingSeconds: (posted.lastResponseAt - start) / 1000,
		arrivedWhilePosting,
		drainAfterPostingSeconds: Math.max(0, (last - posted.lastResponseAt) / 1000),
		cpuMsPerEvent,
		consumerBatches,
		messagesPerBatch: grewBy(metricsBefore, metricsAfter, "queueMessagesHandled") / Math.max(1, consumerBatches),
	};
	log(
		`  ${deliveriesPerSecond.toFixed(0)} deliveries/s${cpuText(cpuMsPerEvent, "event")}; ` +
			`${arrivedWhilePosting} of ${posted.ok} arrived during the ${run.postingSeconds.toFixed(1)} s of posting, ` +
			`the rest ${run.drainAfterPostingSeconds.toFixed(1)} s after; ` +
			`${consumerBatches} consumer batches of ${run.messagesPerBatch.toFixed(0)} messages on average`,
	);
	return { result: run, webhookId };
};
