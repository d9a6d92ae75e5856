ALTER TABLE `webhooks` ADD `failure_threshold` integer DEFAULT 10 NOT NULL;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `rate_limit_per_second` real;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `disable_after_hours` integer DEFAULT 120 NOT NULL;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `disabled_reason` text;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `disabled_at` integer;--> statement-breakpoint
CREATE INDEX `notifications_webhook_status_idx` ON `notifications` (`webhook_id`,`status`);