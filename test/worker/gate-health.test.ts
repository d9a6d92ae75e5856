// The health view of a gate, from its circuit and figures.
import { describe, expect, it } from "vitest";
import { newCircuit } from "../../src/gate/circuit";
import { healthView } from "../../src/gate/health";
import { windowStats } from "../../src/gate/stats";

const NOW = 1_700_000_000_000;
const circuit = newCircuit(
	NOW,
	{ base: 30_000, max: 1_800_000 },
	{ webhookId: "wh_1", shard: "SHARD_A", disableAfterMs: 3_600_000 },
);
const figures = { paused: 2, lastHour: windowStats([]), lastDay: windowStats([]), hourly: [] };

describe("health view", () => {
	it("shows the circuit in the API's terms, the cool-down in seconds", () => {
		const view = healthView(
			{
				...circuit,
				state: "open",
				consecutive_failures: 4,
				opened_at: NOW,
				next_probe_at: NOW + 60_000,
				cool_down_ms: 59_600,
			},
			figures,
		);
		expect(view.circuit).toEqual({
			state: "open",
			consecutiveFailures: 4,
			openedAt: NOW,
			nextProbeAt: NOW + 60_000,
			coolDownSeconds: 60,
		});
		expect(view.paused).toBe(2);
	});

	it("shows no next probe for a closed circuit, whatever an old probe time says", () => {
		expect(healthView({ ...circuit, next_probe_at: NOW }, figures).circuit.nextProbeAt).toBeNull();
	});
});
