// A history shard's schema: what a tenant owns — webhooks, events,
// notifications (one event for one webhook, with the request computed at
// send-out), attempts and stream subscriptions — every row carrying its tenant_id, since a shard
// holds many tenants. The catalog (tenants, keys, placement) is ./catalog.ts. Migrations in
// migrations/ are generated from this file by `npm run db:generate`.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { storedText } from "./stored-text";

/** Milliseconds since the epoch; every time column uses it. */
const epochMs = (name: string) => integer(name, { mode: "number" });

export const webhooks = sqliteTable(
	"webhooks",
	{
		id: text("id").primaryKey(),
		tenantId: text("tenant_id").notNull().default("default"),
		name: text("name").notNull(),
		enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
		eventTypes: text("event_types", { mode: "json" }).$type<string[]>().notNull(),
		method: text("method", { enum: ["POST", "PUT", "PATCH"] }).notNull(),
		url: text("url").notNull(),
		contentType: text("content_type", {
			enum: ["application/json", "application/xml", "text/plain"],
		}).notNull(),
		headers: text("headers", { mode: "json" }).$type<Record<string, string>>().notNull(),
		payloadTemplate: text("payload_template"),
		authUsername: text("auth_username"),
		/** AES-GCM sealed (see src/secrets), never returned by the API. */
		authPasswordSealed: text("auth_password_sealed"),
		/** AES-GCM sealed `whsec_` signing secret. */
		secretSealed: text("secret_sealed").notNull(),
		/** The secret before the last rotation, still signed with until the window closes. */
		previousSecretSealed: text("previous_secret_sealed"),
		previousSecretExpiresAt: epochMs("previous_secret_expires_at"),
		retryDelaysSeconds: text("retry_delays_seconds", { mode: "json" }).$type<number[]>().notNull(),
		timeoutMs: integer("timeout_ms").notNull(),
		/** Requests to this receiver in flight at once, bounded by the endpoint gate. */
		maxConcurrency: integer("max_concurrency").notNull().default(10),
		/** Consecutive failed attempts that open the endpoint gate's circuit. */
		failureThreshold: integer("failure_threshold").notNull().default(10),
		/** Sends per second at most (the gate paces them); null: no pacing. */
		rateLimitPerSecond: real("rate_limit_per_second"),
		/** Hours the circuit may stay open before the webhook is disabled. */
		disableAfterHours: integer("disable_after_hours").notNull().default(120),
		/** The region it sends from; null: its tenant's (src/regions.ts). */
		region: text("region"),
		/** Why and when Hookline (or an operator) disabled the webhook; null while enabled. */
		disabledReason: text("disabled_reason"),
		disabledAt: epochMs("disabled_at"),
		createdAt: epochMs("created_at").notNull(),
		updatedAt: epochMs("updated_at").notNull(),
		/** Soft delete: history stays readable, pending deliveries stop. */
		deletedAt: epochMs("deleted_at"),
	},
	(t) => [index("webhooks_tenant_idx").on(t.tenantId, t.deletedAt, t.id)],
);

/**
 * A webhook's event filter, one row per entry ("*", an exact type, or a
 * "prefix.*"), so ingest finds the webhooks an event matches through an index
 * and never reads one that cannot match. Kept by src/webhooks/filters.ts.
 */
export const webhookFilters = sqliteTable(
	"webhook_filters",
	{
		tenantId: text("tenant_id").notNull(),
		pattern: text("pattern").notNull(),
		webhookId: text("webhook_id").notNull(),
	},
	(t) => [
		primaryKey({ columns: [t.tenantId, t.pattern, t.webhookId] }),
		index("webhook_filters_webhook_idx").on(t.webhookId),
	],
);

export const events = sqliteTable(
	"events",
	{
		tenantId: text("tenant_id").notNull().default("default"),
		/** The producer's id or a generated one: unique within its tenant. */
		id: text("id").notNull(),
		type: text("type").notNull(),
		occurredAt: epochMs("occurred_at").notNull(),
		/** The data as JSON text, packed when large (./stored-text.ts). */
		data: storedText("data").notNull(),
		receivedAt: epochMs("received_at").notNull(),
		/** How many notifications ingest created: the stored answer for repeats. */
		notificationCount: integer("notification_count").notNull(),
		/**
		 * The event's place in its tenant's log: assigned from event_log_heads in
		 * the batch that stores the event, so one stored before another has a
		 * lower seq, and a tenant's seqs are dense (src/events/sequence.ts).
		 */
		seq: integer("seq"),
	},
	(t) => [
		primaryKey({ columns: [t.tenantId, t.id] }),
		index("events_received_idx").on(t.receivedAt),
		// The pull stream reads a tenant's log in order (src/stream/reader.ts).
		index("events_log_idx").on(t.tenantId, t.seq),
		// A replay reads a tenant's events of a time window (src/events/replay.ts).
		index("events_tenant_received_idx").on(t.tenantId, t.receivedAt),
	],
);

/** The last seq given out in each tenant's event log; bumped in the batch that stores an event. */
export const eventLogHeads = sqliteTable("event_log_heads", {
	tenantId: text("tenant_id").primaryKey(),
	lastSeq: integer("last_seq").notNull(),
});

/**
 * A durable cursor over a tenant's event log for consumers that pull
 * (src/stream/). `committedSeq` is null before the first commit, when the
 * stream starts after `startSeq`. The lease is the one live stream.
 */
export const subscriptions = sqliteTable(
	"subscriptions",
	{
		id: text("id").primaryKey(),
		tenantId: text("tenant_id").notNull(),
		name: text("name").notNull(),
		eventTypes: text("event_types", { mode: "json" }).$type<string[]>().notNull(),
		startFrom: text("start_from", { enum: ["begin", "end"] }).notNull(),
		/** Where the stream starts before the first commit: 0 (begin), or the log's head at creation (end). */
		startSeq: integer("start_seq").notNull(),
		committedSeq: integer("committed_seq"),
		committedAt: epochMs("committed_at"),
		/** The live stream's lease: who holds it, and until when (renewed while it streams). */
		leaseId: text("lease_id"),
		leaseUntil: epochMs("lease_until"),
		createdAt: epochMs("created_at").notNull(),
		updatedAt: epochMs("updated_at").notNull(),
	},
	(t) => [index("subscriptions_tenant_idx").on(t.tenantId, t.id)],
);

/** Ingest idempotency: an `Idempotency-Key` (or body `id`) seen once maps to its event. */
export const ingestKeys = sqliteTable(
	"ingest_keys",
	{
		tenantId: text("tenant_id").notNull().default("default"),
		key: text("key").notNull(),
		eventId: text("event_id").notNull(),
		createdAt: epochMs("created_at").notNull(),
	},
	(t) => [
		primaryKey({ columns: [t.tenantId, t.key] }),
		// The retention purge's: without it, every cron run would read the whole table.
		index("ingest_keys_created_idx").on(t.createdAt),
	],
);

export const notificationStatuses = ["pending", "retrying", "delivered", "failed", "paused", "skipped"] as const;
export type NotificationStatus = (typeof notificationStatuses)[number];

export const notifications = sqliteTable(
	"notifications",
	{
		id: text("id").primaryKey(),
		tenantId: text("tenant_id").notNull().default("default"),
		eventId: text("event_id").notNull(),
		webhookId: text("webhook_id").notNull(),
		eventType: text("event_type").notNull(),
		status: text("status", { enum: notificationStatuses }).notNull(),
		/** Attempts spent in the current series (a manual re-send starts a new one). */
		attemptCount: integer("attempt_count").notNull().default(0),
		/** 0 for the automatic series; each manual re-send starts the next. */
		series: integer("series").notNull().default(0),
		/** What started the current series. */
		trigger: text("trigger", { enum: ["auto", "manual"] })
			.notNull()
			.default("auto"),
		/** The request as computed at the first send-out; null until then. */
		requestMethod: text("request_method"),
		requestUrl: text("request_url"),
		requestHeaders: text("request_headers", { mode: "json" }).$type<Record<string, string>>(),
		/** Packed when large (./stored-text.ts). */
		requestBody: storedText("request_body"),
		lastError: text("last_error"),
		/** When the next attempt is due; the sweeper re-enqueues what is overdue. */
		nextAttemptAt: epochMs("next_attempt_at"),
		deliveredAt: epochMs("delivered_at"),
		createdAt: epochMs("created_at").notNull(),
		updatedAt: epochMs("updated_at").notNull(),
	},
	// The history list's filters each have a tenant-first index that ends in the id, so a page
	// newest first is a range of one index whatever the filter (test/worker/query-plans.test.ts).
	(t) => [
		index("notifications_tenant_idx").on(t.tenantId, t.id),
		index("notifications_webhook_idx").on(t.tenantId, t.webhookId, t.id),
		index("notifications_event_idx").on(t.tenantId, t.eventId, t.id),
		index("notifications_status_idx").on(t.tenantId, t.status, t.id),
		index("notifications_type_idx").on(t.tenantId, t.eventType, t.id),
		// A webhook's backlog (health, disable, delete, enable).
		index("notifications_webhook_status_idx").on(t.webhookId, t.status),
		// The sweeper's lost work: only what still waits has a due time, a small part of a shard.
		index("notifications_due_idx").on(t.status, t.nextAttemptAt).where(sql`next_attempt_at IS NOT NULL`),
		index("notifications_retention_idx").on(t.status, t.updatedAt),
	],
);

export const attemptTriggers = ["auto", "manual"] as const;

export const attempts = sqliteTable(
	"attempts",
	{
		id: text("id").primaryKey(),
		notificationId: text("notification_id").notNull(),
		/** The notification's series this attempt belongs to (0 = automatic). */
		series: integer("series").notNull().default(0),
		/** 1-based number within its series. */
		number: integer("number").notNull(),
		trigger: text("trigger", { enum: attemptTriggers }).notNull(),
		startedAt: epochMs("started_at").notNull(),
		durationMs: integer("duration_ms").notNull(),
		succeeded: integer("succeeded", { mode: "boolean" }).notNull(),
		statusCode: integer("status_code"),
		/** What kind of failure: http, redirect, timeout, network, invalid_request, blocked, proxy. Null on success. */
		errorKind: text("error_kind"),
		error: text("error"),
		responseExcerpt: text("response_excerpt"),
		/** Where the attempt went: the webhook's URL at the time (null when nothing was sent, and before this was kept). */
		url: text("url"),
	},
	(t) => [index("attempts_notification_idx").on(t.notificationId, t.id)],
);

export type WebhookRow = typeof webhooks.$inferSelect;
export type NewWebhookRow = typeof webhooks.$inferInsert;
export type EventRow = typeof events.$inferSelect;
export type NotificationRow = typeof notifications.$inferSelect;
export type NewNotificationRow = typeof notifications.$inferInsert;
export type AttemptRow = typeof attempts.$inferSelect;
export type SubscriptionRow = typeof subscriptions.$inferSelect;
