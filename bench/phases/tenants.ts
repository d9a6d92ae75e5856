// Phase 3 of `npm run bench`: ingest with many tenants. BENCH_TENANTS tenants
// (default 1,000) with WEBHOOKS_PER_TENANT webhooks each, created through the
// API before the phase. Webhook k of every tenant listens to `bench.w{k}`, so
// an event matches exactly one webhook of its tenant and, by type alone, one
// of every tenant's: the tenant filter of the fan-out SQL keeps the others
// out. Then POST /v1/tenants/{t}/events at CONNECTIONS for BENCH_SECONDS,
// consumers off as in the ingest phase, request i going to tenant i mod N and
// webhook ⌊i / N⌋ mod 10. Target: at least 90 % of the one-webhook ingest.
//
// Authentication (BENCH_TENANT_AUTH): `token` (default), the operator's ingest
// token on each tenant's path, as a platform sending for its tenants does; the
// tenant check (cached 5 s per isolate and tenant) is the only catalog lookup.
// `keys`: one ingest key per tenant on the unprefixed path, as tenants sending
// for themselves do; then the key cache, too, holds one entry per tenant.
import { BENCH_TOKENS, log, sleep, startHookline } from "../lib.ts";
import { CONNECTIONS, catalogReadsOver, grewBy, load, SECONDS, withoutConsumers } from "../load.ts";
import { tenantWithIngestKey } from "./tenant.ts";

export const TENANTS = Number(process.env.BENCH_TENANTS ?? 1000);
const WEBHOOKS_PER_TENANT = 10;
const AUTH = process.env.BENCH_TENANT_AUTH === "keys" ? "keys" : "token";
/** Setup requests in flight at once: enough to keep Hookline busy, few enough to leave it a core. */
const SETUP_CONNECTIONS = 6;
const PROGRESS_EVERY = 100;

type Hookline = Awaited<ReturnType<typeof startHookline>>;

const tenantIdOf = (i: number) => `t${String(i).padStart(4, "0")}`;
const eventTypeOf = (k: number) => `bench.w${k}`;

/** Creates the tenants and their webhooks, SETUP_CONNECTIONS at a time; answers each tenant's ingest headers. */
const createTenants = async (hookline: Hookline, receiverUrl: string) => {
	const json = { "content-type": "application/json" };
	const headers: Record<string, string>[] = new Array(TENANTS);
	const started = Date.now();
	let next = 0;
	let done = 0;
	const worker = async () => {
		for (let i = next++; i < TENANTS; i = next++) {
			const tenantId = tenantIdOf(i);
			if (AUTH === "keys") {
				const secret = await tenantWithIngestKey(hookline.api, tenantId, `Bench tenant ${i}`);
				headers[i] = { authorization: `Bearer ${secret}`, ...json };
			} else {
				await hookline.api("POST", "/v1/tenants", { id: tenantId, name: `Bench tenant ${i}` });
				headers[i] = { authorization: `Bearer ${BENCH_TOKENS.ingest}`, ...json };
			}
			for (let k = 0; k < WEBHOOKS_PER_TENANT; k++) {
				await hookline.api("POST", `/v1/tenants/${tenantId}/webhooks`, {
					name: `${tenantId} w${k}`,
					eventTypes: [eventTypeOf(k)],
					url: `${receiverUrl}/tenants/${tenantId}/${k}`,
				});
			}
			if (++done % PROGRESS_EVERY === 0 || done === TENANTS) {
				log(
					`  ${done}/${TENANTS} tenants, ${done * WEBHOOKS_PER_TENANT} webhooks (${((Date.now() - started) / 1000).toFixed(0)} s)`,
				);
			}
		}
	};
	await Promise.all(Array.from({ length: SETUP_CONNECTIONS }, worker));
	return { headers, setupSeconds: (Date.now() - started) / 1000 };
};

/**
 * `shards: 1` puts every tenant on one shard, as the one-webhook phase's tenant
 * is (SHARDS_CLOSED=SHARD_A: `bench` and the rest all land on SHARD_B), so the
 * figure compares the fan-out alone; `shards: 2` spreads them over both, the
 * local default, to compare two shards with one.
 */
export const tenantsPhase = async (receiverUrl: string, singleWebhookIngest: number, shards: 1 | 2 = 1) => {
	log(
		`tenants: ${TENANTS} tenants × ${WEBHOOKS_PER_TENANT} webhooks on ${shards === 1 ? "one shard" : "two shards"}, created through the API ${SETUP_CONNECTIONS} at a time (queue consumers off)…`,
	);
	const config = withoutConsumers("tenants");
	const hookline = await startHookline(config.path, shards === 1 ? { SHARDS_CLOSED: "SHARD_A" } : {});
	try {
		const { headers, setupSeconds } = await createTenants(hookline, receiverUrl);
		const bodies = Array.from({ length: WEBHOOKS_PER_TENANT }, (_, k) =>
			JSON.stringify({ type: eventTypeOf(k), data: { loanId: "L-1", amount: 2500 } }),
		);
		const paths = Array.from({ length: TENANTS }, (_, i) =>
			AUTH === "keys" ? "/v1/events" : `/v1/tenants/${tenantIdOf(i)}/events`,
		);
		let sent = 0;
		const next = () => {
			const i = sent++;
			const t = i % TENANTS;
			return {
				path: paths[t] as string,
				headers: headers[t],
				body: bodies[Math.floor(i / TENANTS) % WEBHOOKS_PER_TENANT],
			};
		};
		log(
			`tenants: POST ${AUTH === "keys" ? "/v1/events with each tenant's key" : "/v1/tenants/{t}/events with the ingest token"}, round-robin over ${TENANTS} tenants, ${CONNECTIONS} connections for ${SECONDS} s…`,
		);
		const before = await hookline.api("GET", "/v1/metrics");
		const result = await load(hookline.url, {}, bodies[0] as string, { next });
		const after = await hookline.api("GET", "/v1/metrics");
		await sleep(1000); // the enqueues run after each answer
		const settled = await hookline.api("GET", "/v1/metrics");
		const catalog = catalogReadsOver(before, after);
		const catalogReadsPerSecond = catalog.catalogReads / SECONDS;
		const notificationsPerEvent =
			grewBy(before, settled, "queueMessagesSent") / Math.max(1, grewBy(before, settled, "eventsIngested"));
		const ingestsPerD1Batch =
			grewBy(before, after, "d1GroupedIngests") / Math.max(1, grewBy(before, after, "d1IngestRounds"));
		const ofSingleWebhook = result.requestsPerSecond / singleWebhookIngest;
		log(
			`  ${result.requestsPerSecond.toFixed(0)} events/s accepted (${result.non2xx} not 2xx, ${result.errors} errors), p50 ${result.latencyP50Ms} ms, p99 ${result.latencyP99Ms} ms: ${(100 * ofSingleWebhook).toFixed(0)} % of the one-webhook ingest`,
		);
		log(
			`  ${catalog.catalogReads} catalog reads for ${catalog.eventsIngested} events (${catalog.catalogReadsPerEvent.toFixed(3)} per event, ${catalogReadsPerSecond.toFixed(0)}/s), ${notificationsPerEvent.toFixed(2)} notifications per event, ${ingestsPerD1Batch.toFixed(1)} ingests per D1 batch`,
		);
		if (Math.abs(notificationsPerEvent - 1) > 0.01) log("  each event should have matched exactly one webhook");
		return {
			tenants: TENANTS,
			shards,
			webhooksPerTenant: WEBHOOKS_PER_TENANT,
			auth: AUTH,
			setupSeconds,
			...result,
			...catalog,
			catalogReadsPerSecond,
			notificationsPerEvent,
			ingestsPerD1Batch,
			ofSingleWebhookIngest: ofSingleWebhook,
		};
	} finally {
		await hookline.stop();
		config.remove();
	}
};
