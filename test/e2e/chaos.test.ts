// The short variant of `npm run chaos`: the same run, with fewer notifications.
import { describe, expect, it } from "vitest";
import { runChaos } from "../../bench/chaos-run.ts";

describe("chaos (short)", () => {
	it("loses nothing and never answers 2xx twice through a flapping receiver and a kill -9", async () => {
		const report = await runChaos({
			n: Number(process.env.CHAOS_TEST_N ?? 200),
			log: () => {},
			settleTimeoutMs: 150_000,
		});
		expect(report.accepted).toBe(report.n);
		expect(report.lost).toEqual([]);
		expect(report.duplicateSuccesses).toEqual([]);
		expect(report.deliveredWithoutReceiverSuccess).toEqual([]);
		expect(report.attemptsOverPolicy).toEqual([]);
		expect(report.failedWithoutAllAttempts).toEqual([]);
		expect(report.delivered + report.failed).toBe(report.n);
		// The receiver really flapped.
		expect(report.receiverRequests).toBeGreaterThan(report.n);
	}, 300_000);
});
