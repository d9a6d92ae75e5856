CREATE TABLE `event_log_heads` (
	`tenant_id` text PRIMARY KEY NOT NULL,
	`last_seq` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`event_types` text NOT NULL,
	`start_from` text NOT NULL,
	`start_seq` integer NOT NULL,
	`committed_seq` integer,
	`committed_at` integer,
	`lease_id` text,
	`lease_until` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `subscriptions_tenant_idx` ON `subscriptions` (`tenant_id`,`id`);--> statement-breakpoint
ALTER TABLE `events` ADD `seq` integer;--> statement-breakpoint
CREATE INDEX `events_log_idx` ON `events` (`tenant_id`,`seq`);--> statement-breakpoint
CREATE INDEX `events_tenant_received_idx` ON `events` (`tenant_id`,`received_at`);--> statement-breakpoint
-- Events stored before the log: each tenant's in the order they were stored, numbered 1, 2, …
-- (dense, as new ones are), and each tenant's head at its last.
UPDATE `events` SET `seq` = n.`r` FROM (
	SELECT rowid AS `rid`, row_number() OVER (PARTITION BY `tenant_id` ORDER BY rowid) AS `r` FROM `events`
) AS n WHERE `events`.rowid = n.`rid`;--> statement-breakpoint
INSERT INTO `event_log_heads` (`tenant_id`, `last_seq`) SELECT `tenant_id`, max(`seq`) FROM `events` GROUP BY `tenant_id`;
