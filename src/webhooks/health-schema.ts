// The endpoint-health answers of the webhook API: GET /v1/webhooks/:id/health
// in full, and the summary shown with each webhook in lists. What they are made
// from is the gate's (src/gate/health.ts).
import { z } from "@hono/zod-openapi";

const isoOrNull = z.string().datetime().nullable();

const WindowStats = z.object({
	attempts: z.number().int(),
	succeeded: z.number().int(),
	successRate: z.number().nullable().openapi({ description: "succeeded / attempts; null without attempts" }),
	latencyMs: z
		.object({ p50: z.number().nullable(), p95: z.number().nullable() })
		.openapi({ description: "Estimated from a latency histogram, within its bucket" }),
});

const CircuitState = z.enum(["closed", "open", "half_open"]);

export const WebhookHealth = z
	.object({
		enabled: z.boolean(),
		disabledReason: z.string().nullable(),
		disabledAt: isoOrNull,
		circuit: z.object({
			state: CircuitState,
			consecutiveFailures: z.number().int(),
			openedAt: isoOrNull.openapi({ description: "When the current outage began" }),
			nextProbeAt: isoOrNull,
			coolDownSeconds: z.number().int(),
		}),
		lastSuccessAt: isoOrNull,
		lastFailureAt: isoOrNull,
		lastError: z.string().nullable(),
		lastHour: WindowStats,
		lastDay: WindowStats,
		backlog: z
			.object({
				pending: z.number().int(),
				retrying: z.number().int(),
				paused: z.number().int(),
				skipped: z.number().int(),
			})
			.openapi({ description: "Notifications of this webhook waiting, by status (skipped: while it was disabled)" }),
	})
	.openapi("WebhookHealth");
export type WebhookHealth = z.infer<typeof WebhookHealth>;

/** The health fields shown with each webhook in lists. */
export const HealthSummary = z
	.object({
		circuit: CircuitState,
		consecutiveFailures: z.number().int(),
		successRateLastHour: z.number().nullable(),
		lastSuccessAt: isoOrNull,
		lastFailureAt: isoOrNull,
		paused: z.number().int(),
	})
	.openapi("WebhookHealthSummary");
