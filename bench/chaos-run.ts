// The chaos run behind `npm run chaos` (and its short variant in `npm test`):
// N notifications through a receiver that flaps (500s, answers slower than
// the timeout, reset connections), with short retry delays and one kill and
// restart of the local service mid-run, state kept on disk. It waits until
// every notification has settled, then checks the receiver's own log against
// the API: nothing lost, no second 2xx for a notification, attempts within
// the retry policy.
import { writeFileSync } from "node:fs";
import { Agent, request } from "undici";
import { startHookline } from "../test/support/local-hookline.ts";
import { log as defaultLog, sleep, startArrivalReceiver, waitFor } from "./lib.ts";

export type ChaosOptions = { n: number; log?: (line: string) => void; settleTimeoutMs?: number };

export type ChaosReport = {
	n: number;
	accepted: number;
	delivered: number;
	failed: number;
	lost: string[];
	duplicateSuccesses: string[];
	/** When the receiver answered 2xx, for each duplicate (milliseconds since the run started). */
	duplicateTimes: Record<string, string[]>;
	restartedAtMs: number;
	/** A 2xx the receiver gave before the kill that the killed process never recorded: re-sent with the same key. */
	crashWindowDuplicates: string[];
	/** A 2xx the receiver gave during an attempt Hookline recorded as timed out: retried with the same key, as the contract says. */
	timedOutDuplicates: string[];
	deliveredWithoutReceiverSuccess: string[];
	attemptsOverPolicy: string[];
	failedWithoutAllAttempts: string[];
	receiverRequests: number;
	outcomes: Record<string, number>;
	seconds: number;
	violations: number;
};

const POLICY = { delaysSeconds: [1, 1, 2, 2] };
const MAX_ATTEMPTS = POLICY.delaysSeconds.length + 1;

export const runChaos = async ({
	n,
	log = defaultLog,
	settleTimeoutMs = 900_000,
}: ChaosOptions): Promise<ChaosReport> => {
	const started = Date.now();
	const receiver = await startArrivalReceiver(() => {
		const roll = Math.random();
		if (roll < 0.15) return { status: 500 };
		if (roll < 0.2) return { delayMs: 1500, status: 200 };
		if (roll < 0.25) return { reset: true };
		return { status: 200 };
	});
	log(
		`flapping receiver on ${receiver.url}: 15 % 500, 5 % answered after the 1 s timeout (late, not a success), 5 % reset`,
	);
	// Direct sends (REGIONS '[]'): the run tests the pipeline against a crash of the worker. npm start's
	// local egress proxies live in its process and die with it, and their extra hop, slow in the
	// restart's first seconds, can push a prompt 2xx past the 1 s timeout: a fair re-send with the
	// same key (at least once), but a sender's clock, not the guarantee this run checks.
	const hookline = await startHookline({
		env: { HOOKLINE_SWEEP_INTERVAL_MS: "2000", SWEEP_GRACE_SECONDS: "5", REGIONS: "[]" },
	});
	log(`Hookline on ${hookline.url}`);
	const admin = { authorization: `Bearer ${hookline.adminToken}`, "content-type": "application/json" };
	const ingest = { authorization: `Bearer ${hookline.ingestToken}`, "content-type": "application/json" };
	const agent = new Agent({ connections: 32 });
	const call = async (method: string, path: string, body?: unknown) => {
		const res = await request(`${hookline.url}${path}`, {
			method: method as "GET" | "POST",
			headers: admin,
			body: body === undefined ? undefined : JSON.stringify(body),
			dispatcher: agent,
		});
		return (await res.body.json()) as Record<string, unknown>;
	};
	let restartedAt = 0;
	try {
		const hook = await call("POST", "/v1/webhooks", {
			name: "chaos",
			eventTypes: ["chaos.*"],
			url: `${receiver.url}/chaos`,
			timeoutMs: 1000,
			retryPolicy: POLICY,
			maxConcurrency: 50,
		});
		const runId = Date.now().toString(36);
		const accepted = new Set<string>();

		/** Posts one event until it is accepted; a repeat of the same id is harmless (idempotent ingest). */
		const post = async (i: number) => {
			const id = `chaos-${runId}-${i}`;
			for (let tries = 0; tries < 240; tries++) {
				try {
					const res = await request(`${hookline.url}/v1/events`, {
						method: "POST",
						headers: ingest,
						body: JSON.stringify({ id, type: "chaos.flapped", data: { i } }),
						dispatcher: agent,
					});
					await res.body.dump();
					if (res.statusCode === 202 || res.statusCode === 200) {
						accepted.add(id);
						return;
					}
				} catch {}
				await sleep(500);
			}
			throw new Error(`event ${id} was never accepted`);
		};

		const killAt = Math.floor(n / 2);
		let next = 0;
		const worker = async () => {
			while (next < n) {
				const i = next++;
				if (i === killAt) {
					log(`kill -9 and restart mid-run (after ${i} events)…`);
					restartedAt = Date.now();
					await hookline.restart();
					log("restarted");
				}
				await post(i);
				if (i % 1000 === 999)
					log(`  ${i + 1}/${n} events posted, ${receiver.arrivals.length} requests at the receiver`);
			}
		};
		await Promise.all(Array.from({ length: 16 }, worker));
		log(`${accepted.size} events accepted; waiting for every notification to settle…`);

		const unsettled = async () => {
			let open = 0;
			for (const status of ["pending", "retrying", "paused"]) {
				const page = await call("GET", `/v1/notifications?webhookId=${hook.id}&status=${status}&limit=200`);
				open += (page.data as unknown[]).length;
			}
			return open;
		};
		let lastLog = 0;
		const settled = await waitFor(
			async () => {
				const open = await unsettled();
				if (Date.now() - lastLog > 10_000) {
					lastLog = Date.now();
					log(
						`  ${open}${open === 200 * 3 ? "+" : ""} still open, ${receiver.arrivals.length} requests at the receiver`,
					);
				}
				return open === 0;
			},
			settleTimeoutMs,
			1000,
		);
		if (!settled) log("did not settle in time: what is open counts as lost");
		await sleep(3000); // a late duplicate would show up here

		const all: { id: string; eventId: string; status: string; attemptCount: number; series: number }[] = [];
		let cursor: string | null = null;
		for (let pages = 0; pages < 1 + n / 100; pages++) {
			const page = await call(
				"GET",
				`/v1/notifications?webhookId=${hook.id}&limit=200${cursor ? `&cursor=${cursor}` : ""}`,
			);
			all.push(...(page.data as typeof all));
			cursor = page.nextCursor as string | null;
			if (!cursor) break;
		}
		const byEvent = new Map(all.map((x) => [x.eventId, x]));
		const successes = new Map<string, number[]>();
		const outcomes: Record<string, number> = {};
		for (const a of receiver.arrivals) {
			outcomes[String(a.status)] = (outcomes[String(a.status)] ?? 0) + 1;
			if (typeof a.status === "number" && a.status >= 200 && a.status < 300) {
				successes.set(a.key, [...(successes.get(a.key) ?? []), a.at]);
			}
		}
		const lost = [...accepted].filter((id) => {
			const x = byEvent.get(id);
			return !x || (x.status !== "delivered" && x.status !== "failed");
		});
		const twice = [...successes.entries()].filter(([, at]) => at.length > 1);
		// The one second 2xx no sender can rule out: the receiver answered before the kill, and
		// the killed process never recorded it (Hookline's recorded success started after the
		// restart). The re-send carries the same idempotency key, so the receiver can drop it.
		const crashWindow = new Set<string>();
		for (const [key, at] of twice) {
			if (!restartedAt || (at[0] ?? 0) > restartedAt) continue;
			const detail = await call("GET", `/v1/notifications/${key}`);
			const success = (detail.attempts as { succeeded: boolean; startedAt: string }[]).find((a) => a.succeeded);
			if (success && Date.parse(success.startedAt) >= restartedAt) crashWindow.add(key);
		}
		const inCrashWindow = ([key]: [string, number[]]) => crashWindow.has(key);
		// The other second 2xx the contract allows: the receiver answered while an attempt Hookline
		// recorded as timed out was running (a starved sender's clock ran out first), and the retry
		// the contract makes of a timeout carried the same key.
		const timedOutWindow = new Set<string>();
		for (const [key, at] of twice) {
			if (crashWindow.has(key)) continue;
			const first = at[0] ?? 0;
			const detail = await call("GET", `/v1/notifications/${key}`);
			const attempts = detail.attempts as {
				succeeded: boolean;
				startedAt: string;
				durationMs: number;
				errorKind: string | null;
			}[];
			const during = attempts.some(
				(a) =>
					!a.succeeded &&
					a.errorKind === "timeout" &&
					Date.parse(a.startedAt) <= first &&
					first <= Date.parse(a.startedAt) + a.durationMs + 1000,
			);
			if (during) timedOutWindow.add(key);
		}
		const failed = all.filter((x) => x.status === "failed");
		const failedWithoutAllAttempts: string[] = [];
		for (const x of failed) {
			const detail = await call("GET", `/v1/notifications/${x.id}`);
			if ((detail.attempts as unknown[]).length !== MAX_ATTEMPTS) failedWithoutAllAttempts.push(x.id);
		}
		const report: ChaosReport = {
			n,
			accepted: accepted.size,
			delivered: all.filter((x) => x.status === "delivered").length,
			failed: failed.length,
			lost,
			duplicateSuccesses: twice.filter((t) => !inCrashWindow(t) && !timedOutWindow.has(t[0])).map(([key]) => key),
			duplicateTimes: Object.fromEntries(
				twice.map(([key]) => [
					key,
					receiver.arrivals.filter((a) => a.key === key).map((a) => `${a.at - started}:${a.status}`),
				]),
			),
			restartedAtMs: restartedAt ? restartedAt - started : 0,
			crashWindowDuplicates: twice.filter(inCrashWindow).map(([key]) => key),
			timedOutDuplicates: [...timedOutWindow],
			deliveredWithoutReceiverSuccess: all
				.filter((x) => x.status === "delivered" && !successes.has(x.id))
				.map((x) => x.id),
			attemptsOverPolicy: all.filter((x) => x.attemptCount > MAX_ATTEMPTS).map((x) => x.id),
			failedWithoutAllAttempts,
			receiverRequests: receiver.arrivals.length,
			outcomes,
			seconds: Math.round((Date.now() - started) / 1000),
			violations: 0,
		};
		report.violations =
			report.lost.length +
			report.duplicateSuccesses.length +
			report.deliveredWithoutReceiverSuccess.length +
			report.attemptsOverPolicy.length +
			report.failedWithoutAllAttempts.length +
			(report.accepted === n ? 0 : 1);
		return report;
	} finally {
		if (process.env.CHAOS_SERVICE_LOG) writeFileSync(process.env.CHAOS_SERVICE_LOG, hookline.output());
		await agent.close();
		await hookline.stop();
		await receiver.close();
	}
};
