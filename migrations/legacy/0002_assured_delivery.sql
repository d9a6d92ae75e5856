ALTER TABLE `attempts` ADD `series` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `notifications` ADD `series` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `notifications` ADD `trigger` text DEFAULT 'auto' NOT NULL;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `max_concurrency` integer DEFAULT 10 NOT NULL;