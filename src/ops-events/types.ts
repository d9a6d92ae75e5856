// The operational events: the types Hookline emits into a tenant's own event
// log (docs/operational-events.md) and the `data` each carries. Times are ISO
// 8601 in UTC, as everywhere in the API.

/** Types starting with this are Hookline's own: ingest refuses them, and "*" does not match them. */
export const OPERATIONAL_PREFIX = "hookline.";

export const OPERATIONAL_TYPES = [
	"hookline.notification.failed",
	"hookline.webhook.circuit_opened",
	"hookline.webhook.circuit_closed",
	"hookline.webhook.disabled",
	"hookline.webhook.enabled",
] as const;
export type OperationalType = (typeof OPERATIONAL_TYPES)[number];

export const isOperational = (type: string) => type.startsWith(OPERATIONAL_PREFIX);

/** The webhook an event is about. */
export type WebhookRef = { id: string; name: string };

/** Why a notification ended `failed`: the endings that emit `hookline.notification.failed`. */
export type FailedReason = "attempts_exhausted" | "not_retryable" | "dead_lettered";

export type NotificationFailedData = {
	webhook: WebhookRef;
	notification: { id: string; series: number; trigger: "auto" | "manual"; attempts: number };
	event: { id: string; type: string };
	reason: FailedReason;
	lastError: string | null;
	lastErrorKind: string | null;
	lastStatusCode: number | null;
};

export type CircuitOpenedData = {
	webhook: WebhookRef;
	openedAt: string;
	consecutiveFailures: number;
	lastError: string | null;
	lastStatusCode: number | null;
	nextProbeAt: string;
};

export type CircuitClosedData = {
	webhook: WebhookRef;
	openedAt: string | null;
	closedAt: string;
	/** Notifications that waited while it was open, now released oldest first. */
	released: number;
};

/** Who disabled a webhook: the circuit open for disableAfterHours, a 410 Gone answer, or a call to the API. */
export type DisabledReason = "circuit_open" | "gone" | "api";

export type WebhookDisabledData = {
	webhook: WebhookRef;
	reason: DisabledReason;
	/** The reason as the webhook shows it (`disabledReason`). */
	detail: string;
	disabledAt: string;
};

export type WebhookEnabledData = {
	webhook: WebhookRef;
	enabledAt: string;
	/** Why and since when it had been disabled, as the webhook showed it. */
	disabledReason: string | null;
	disabledAt: string | null;
};

export type OperationalData = {
	"hookline.notification.failed": NotificationFailedData;
	"hookline.webhook.circuit_opened": CircuitOpenedData;
	"hookline.webhook.circuit_closed": CircuitClosedData;
	"hookline.webhook.disabled": WebhookDisabledData;
	"hookline.webhook.enabled": WebhookEnabledData;
};
