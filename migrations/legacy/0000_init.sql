CREATE TABLE `attempts` (
	`id` text PRIMARY KEY NOT NULL,
	`notification_id` text NOT NULL,
	`number` integer NOT NULL,
	`trigger` text NOT NULL,
	`started_at` integer NOT NULL,
	`duration_ms` integer NOT NULL,
	`succeeded` integer NOT NULL,
	`status_code` integer,
	`error_kind` text,
	`error` text,
	`response_excerpt` text
);
--> statement-breakpoint
CREATE INDEX `attempts_notification_idx` ON `attempts` (`notification_id`,`id`);--> statement-breakpoint
CREATE TABLE `events` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`data` text NOT NULL,
	`received_at` integer NOT NULL,
	`notification_count` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `events_type_idx` ON `events` (`type`);--> statement-breakpoint
CREATE INDEX `events_received_idx` ON `events` (`received_at`);--> statement-breakpoint
CREATE TABLE `ingest_keys` (
	`key` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `notifications` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`webhook_id` text NOT NULL,
	`event_type` text NOT NULL,
	`status` text NOT NULL,
	`attempt_count` integer DEFAULT 0 NOT NULL,
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
CREATE INDEX `notifications_event_idx` ON `notifications` (`event_id`);--> statement-breakpoint
CREATE INDEX `notifications_status_idx` ON `notifications` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `notifications_type_idx` ON `notifications` (`event_type`,`id`);--> statement-breakpoint
CREATE INDEX `notifications_due_idx` ON `notifications` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `webhooks` (
	`id` text PRIMARY KEY NOT NULL,
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
	`retry_delays_seconds` text NOT NULL,
	`timeout_ms` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE INDEX `webhooks_live_idx` ON `webhooks` (`deleted_at`,`enabled`);