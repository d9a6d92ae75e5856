// What GET /v1/webhooks/:id/health (and the console) shows of a gate: the
// circuit, the last success and failure, the paused backlog and the delivery
// statistics, assembled from what the gate stores.
import type { Circuit, CircuitState } from "./circuit";
import type { HourStats, WindowStats } from "./stats";

export type { WindowStats } from "./stats";

export type GateHealth = {
	circuit: {
		state: CircuitState;
		consecutiveFailures: number;
		openedAt: number | null;
		nextProbeAt: number | null;
		coolDownSeconds: number;
	};
	lastSuccessAt: number | null;
	lastFailureAt: number | null;
	lastError: string | null;
	paused: number;
	lastHour: WindowStats;
	lastDay: WindowStats;
	/** Attempts per hour over the last 24 hours, oldest first (the console's chart). */
	hourly: HourStats[];
};

export const healthView = (
	c: Circuit,
	{ paused, lastHour, lastDay, hourly }: Pick<GateHealth, "paused" | "lastHour" | "lastDay" | "hourly">,
): GateHealth => ({
	circuit: {
		state: c.state,
		consecutiveFailures: c.consecutive_failures,
		openedAt: c.opened_at,
		// A closed circuit probes nothing, whatever an old probe time says.
		nextProbeAt: c.state === "closed" ? null : c.next_probe_at,
		coolDownSeconds: Math.round(c.cool_down_ms / 1000),
	},
	lastSuccessAt: c.last_success_at,
	lastFailureAt: c.last_failure_at,
	lastError: c.last_error,
	paused,
	lastHour,
	lastDay,
	hourly,
});
