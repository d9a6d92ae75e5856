// Pacing, driven with its own clock: sends spaced to the rate, a slot kept by
// the notification that got it, and busy answers beyond a second of backlog.
// (The concurrency bound has its own tests: gate-slots.test.ts.)
import { describe, expect, it } from "vitest";
import { Pacing } from "../../src/gate/pacing";

const NOW = 1_700_000_000_000;

describe("pacing", () => {
	it("spaces sends to the rate, waits out a slot within the next second, and answers busy beyond it", () => {
		const pacing = new Pacing();
		const answers = ["a", "b", "c", "d", "e", "f"].map((id) => pacing.take(id, 4, NOW));
		expect(answers).toEqual([
			{ kind: "go", waitMs: 0 },
			{ kind: "go", waitMs: 250 },
			{ kind: "go", waitMs: 500 },
			{ kind: "go", waitMs: 750 },
			{ kind: "go", waitMs: 1000 },
			{ kind: "busy", retryInSeconds: 1 },
		]);
	});

	it("keeps each waiting notification's slot: coming back does not push it further out", () => {
		const pacing = new Pacing();
		for (const id of ["a", "b", "c"]) pacing.take(id, 1, NOW);
		expect(pacing.take("d", 1, NOW)).toEqual({ kind: "busy", retryInSeconds: 3 });
		// Back two seconds later, d goes at its slot; e, new, queues behind everyone.
		expect(pacing.take("d", 1, NOW + 2000)).toEqual({ kind: "go", waitMs: 1000 });
		expect(pacing.take("e", 1, NOW + 2000)).toEqual({ kind: "busy", retryInSeconds: 2 });
	});

	it("gives a slot once: a notification that went and comes back queues for a new one", () => {
		const pacing = new Pacing();
		expect(pacing.take("a", 2, NOW)).toEqual({ kind: "go", waitMs: 0 });
		expect(pacing.take("a", 2, NOW)).toEqual({ kind: "go", waitMs: 500 });
	});

	it("starts a quiet receiver's next send at once", () => {
		const pacing = new Pacing();
		pacing.take("a", 10, NOW);
		expect(pacing.take("b", 10, NOW + 60_000)).toEqual({ kind: "go", waitMs: 0 });
	});
});
