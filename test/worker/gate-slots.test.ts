// The concurrency bound in memory, driven with its own clock and timers: slots
// up to the bound, a moment's wait for the slot of a send that ends, slots held
// for parked notifications on their way back; and the parked backlog's rules.
import { describe, expect, it } from "vitest";
import { nextParkedLookAt, PARKED_LOOK_MS, parkedRound, waitsForSlot } from "../../src/gate/parked";
import { RELEASE_PER_SECOND } from "../../src/gate/paused";
import { SLOT_HOLD_MS, SLOT_WAIT_MS, Slots, type Timer } from "../../src/gate/slots";

const NOW = 1_700_000_000_000;

/** Timers that fire only when the test says so. */
const manualTimers = () => {
	const pending = new Set<{ ms: number; fire: () => void }>();
	const after: Timer = (ms, fire) => {
		const timer = { ms, fire };
		pending.add(timer);
		return () => pending.delete(timer);
	};
	const fireAll = () => {
		for (const timer of [...pending]) {
			pending.delete(timer);
			timer.fire();
		}
	};
	return { after, pending, fireAll };
};

describe("concurrency slots", () => {
	it("takes slots up to the bound, then none", () => {
		const slots = new Slots(manualTimers().after);
		expect([slots.take("a", 2, NOW), slots.take("b", 2, NOW), slots.take("c", 2, NOW)]).toEqual([true, true, false]);
		expect(slots.inFlight).toBe(2);
	});

	it("hands the slot of a send that ends to the longest waiter before it comes free", async () => {
		const timers = manualTimers();
		const slots = new Slots(timers.after);
		slots.take("a", 1, NOW);
		const b = slots.wait("b");
		const c = slots.wait("c");
		expect([...timers.pending].map((t) => t.ms)).toEqual([SLOT_WAIT_MS, SLOT_WAIT_MS]);
		expect(slots.waiting("b")).toBe(true);
		expect(slots.end()).toBe(false);
		expect(await b).toBe(true);
		expect(slots.waiting("b")).toBe(false);
		expect(slots.end()).toBe(false);
		expect(await c).toBe(true);
		// Each grant cancelled its timer; with nobody waiting the last slot comes free.
		expect(timers.pending.size).toBe(0);
		expect(slots.end()).toBe(true);
		expect(slots.inFlight).toBe(0);
	});

	it("gives up a wait that gets no slot in time", async () => {
		const timers = manualTimers();
		const slots = new Slots(timers.after);
		slots.take("a", 1, NOW);
		const b = slots.wait("b");
		timers.fireAll();
		expect(await b).toBe(false);
		expect(slots.waiting("b")).toBe(false);
		expect(slots.end()).toBe(true);
	});

	it("holds a freed slot for a released notification: only it takes it, until the hold lapses", () => {
		const slots = new Slots(manualTimers().after);
		slots.take("a", 2, NOW);
		slots.hold("r", NOW);
		expect(slots.free(2, NOW)).toBe(0);
		expect(slots.take("x", 2, NOW)).toBe(false);
		expect(slots.take("r", 2, NOW + 10)).toBe(true);
		expect(slots.end()).toBe(true);
		slots.hold("lost", NOW);
		expect(slots.take("y", 2, NOW + SLOT_HOLD_MS - 1)).toBe(false);
		expect(slots.free(2, NOW + SLOT_HOLD_MS)).toBe(1);
		expect(slots.take("y", 2, NOW + SLOT_HOLD_MS)).toBe(true);
	});
});

describe("parked backlog rules", () => {
	it("waits a moment for a slot unless the send is the probe or others are parked ahead of it", () => {
		expect(waitsForSlot({ probe: false, parkedAhead: false })).toBe(true);
		expect(waitsForSlot({ probe: true, parkedAhead: false })).toBe(false);
		expect(waitsForSlot({ probe: false, parkedAhead: true })).toBe(false);
	});

	it("has the alarm release into the free slots, at most RELEASE_PER_SECOND, a round when the bound is unknown", () => {
		expect(parkedRound(3)).toBe(3);
		expect(parkedRound(0)).toBe(0);
		expect(parkedRound(500)).toBe(RELEASE_PER_SECOND);
		expect(parkedRound(undefined)).toBe(RELEASE_PER_SECOND);
	});

	it("looks again while anything is parked, and not otherwise", () => {
		expect(nextParkedLookAt(true, NOW)).toBe(NOW + PARKED_LOOK_MS);
		expect(nextParkedLookAt(false, NOW)).toBeUndefined();
	});
});
