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
	`shard` text NOT NULL,
	`region` text,
	`portal_origins` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE INDEX `tenants_shard_idx` ON `tenants` (`shard`,`deleted_at`);--> statement-breakpoint
-- The tenant every first-version client and single-tenant deployment uses, on the first shard.
INSERT INTO `tenants` (`id`, `name`, `shard`, `region`, `portal_origins`, `created_at`, `updated_at`) VALUES ('default', 'Default', 'SHARD_A', NULL, '[]', CAST(strftime('%s', 'now') AS INTEGER) * 1000, CAST(strftime('%s', 'now') AS INTEGER) * 1000);
