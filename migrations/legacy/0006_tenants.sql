CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`tenant_id` text,
	`scopes` text NOT NULL,
	`secret_hash` text NOT NULL,
	`prefix` text NOT NULL,
	`expires_at` integer,
	`last_used_at` integer,
	`created_at` integer NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash_idx` ON `api_keys` (`secret_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_tenant_idx` ON `api_keys` (`tenant_id`,`id`);--> statement-breakpoint
CREATE TABLE `tenants` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`region` text,
	`portal_origins` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer
);
--> statement-breakpoint
DROP INDEX `webhooks_live_idx`;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `tenant_id` text DEFAULT 'default' NOT NULL;--> statement-breakpoint
CREATE INDEX `webhooks_tenant_idx` ON `webhooks` (`tenant_id`,`deleted_at`,`id`);--> statement-breakpoint
DROP INDEX `notifications_event_idx`;--> statement-breakpoint
DROP INDEX `notifications_status_idx`;--> statement-breakpoint
DROP INDEX `notifications_type_idx`;--> statement-breakpoint
ALTER TABLE `notifications` ADD `tenant_id` text DEFAULT 'default' NOT NULL;--> statement-breakpoint
CREATE INDEX `notifications_tenant_idx` ON `notifications` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `notifications_event_idx` ON `notifications` (`tenant_id`,`event_id`);--> statement-breakpoint
CREATE INDEX `notifications_status_idx` ON `notifications` (`tenant_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `notifications_type_idx` ON `notifications` (`tenant_id`,`event_type`,`id`);--> statement-breakpoint
CREATE TABLE `__new_events` (
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
INSERT INTO `__new_events`("tenant_id", "id", "type", "occurred_at", "data", "received_at", "notification_count") SELECT 'default', "id", "type", "occurred_at", "data", "received_at", "notification_count" FROM `events`;--> statement-breakpoint
DROP TABLE `events`;--> statement-breakpoint
ALTER TABLE `__new_events` RENAME TO `events`;--> statement-breakpoint
CREATE INDEX `events_type_idx` ON `events` (`type`);--> statement-breakpoint
CREATE INDEX `events_received_idx` ON `events` (`received_at`);--> statement-breakpoint
CREATE TABLE `__new_ingest_keys` (
	`tenant_id` text DEFAULT 'default' NOT NULL,
	`key` text NOT NULL,
	`event_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `key`)
);
--> statement-breakpoint
INSERT INTO `__new_ingest_keys`("tenant_id", "key", "event_id", "created_at") SELECT 'default', "key", "event_id", "created_at" FROM `ingest_keys`;--> statement-breakpoint
DROP TABLE `ingest_keys`;--> statement-breakpoint
ALTER TABLE `__new_ingest_keys` RENAME TO `ingest_keys`;--> statement-breakpoint
-- The tenant every first-version client and single-tenant deployment uses.
INSERT INTO `tenants` (`id`, `name`, `region`, `portal_origins`, `created_at`, `updated_at`) VALUES ('default', 'Default', NULL, '[]', CAST(strftime('%s', 'now') AS INTEGER) * 1000, CAST(strftime('%s', 'now') AS INTEGER) * 1000);
