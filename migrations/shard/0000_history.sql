CREATE TABLE `attempts` (
	`id` text PRIMARY KEY NOT NULL,
	`notification_id` text NOT NULL,
	`series` integer DEFAULT 0 NOT NULL,
	`number` integer NOT NULL,
	`trigger` text NOT NULL,
	`started_at` integer NOT NULL,
	`duration_ms` integer NOT NULL,
	`succeeded` integer NOT NULL,
	`status_code` integer,
	`error_kind` text,
	`error` text,
	`response_excerpt` text,
	`url` text
);
--> statement-breakpoint
CREATE INDEX `attempts_notification_idx` ON `attempts` (`notification_id`,`id`);--> statement-breakpoint
CREATE TABLE `events` (
	`tenant_id` text DEFAULT 'default' NOT NULL,
	`id` text NOT NULL,
	`type` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`data` text NOT NULL,
	`received_at` integer NOT NULL,
	`notification_count` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `id`)
);
--> statement-breakpoint
CREATE INDEX `events_type_idx` ON `events` (`type`);--> statement-breakpoint
CREATE INDEX `events_received_idx` ON `events` (`received_at`);--> statement-breakpoint
CREATE TABLE `ingest_keys` (
	`tenant_id` text DEFAULT 'default' NOT NULL,
	`key` text NOT NULL,
	`event_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `key`)
);
--> statement-breakpoint
CREATE TABLE `notifications` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text DEFAULT 'default' NOT NULL,
	`event_id` text NOT NULL,
	`webhook_id` text NOT NULL,
	`event_type` text NOT NULL,
	`status` text NOT NULL,
	`attempt_count` integer DEFAULT 0 NOT NULL,
	`series` integer DEFAULT 0 NOT NULL,
	`trigger` text DEFAULT 'auto' NOT NULL,
	`request_method` text,
	`request_url` text,
	`request_headers` text,
	`request_body` text,
	`last_error` text,
	`next_attempt_at` integer,
	`delivered_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `notifications_webhook_idx` ON `notifications` (`webhook_id`,`id`);--> statement-breakpoint
CREATE INDEX `notifications_webhook_status_idx` ON `notifications` (`webhook_id`,`status`);--> statement-breakpoint
CREATE INDEX `notifications_tenant_idx` ON `notifications` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `notifications_event_idx` ON `notifications` (`tenant_id`,`event_id`);--> statement-breakpoint
CREATE INDEX `notifications_status_idx` ON `notifications` (`tenant_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `notifications_type_idx` ON `notifications` (`tenant_id`,`event_type`,`id`);--> statement-breakpoint
CREATE INDEX `notifications_due_idx` ON `notifications` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `notifications_retention_idx` ON `notifications` (`status`,`updated_at`);--> statement-breakpoint
CREATE TABLE `webhooks` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text DEFAULT 'default' NOT NULL,
	`name` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`event_types` text NOT NULL,
	`method` text NOT NULL,
	`url` text NOT NULL,
	`content_type` text NOT NULL,
	`headers` text NOT NULL,
	`payload_template` text,
	`auth_username` text,
	`auth_password_sealed` text,
	`secret_sealed` text NOT NULL,
	`previous_secret_sealed` text,
	`previous_secret_expires_at` integer,
	`retry_delays_seconds` text NOT NULL,
	`timeout_ms` integer NOT NULL,
	`max_concurrency` integer DEFAULT 10 NOT NULL,
	`failure_threshold` integer DEFAULT 10 NOT NULL,
	`rate_limit_per_second` real,
	`disable_after_hours` integer DEFAULT 120 NOT NULL,
	`disabled_reason` text,
	`disabled_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE INDEX `webhooks_tenant_idx` ON `webhooks` (`tenant_id`,`deleted_at`,`id`);