DROP INDEX `events_type_idx`;--> statement-breakpoint
DROP INDEX `notifications_webhook_idx`;--> statement-breakpoint
DROP INDEX `notifications_event_idx`;--> statement-breakpoint
DROP INDEX `notifications_due_idx`;--> statement-breakpoint
CREATE INDEX `notifications_webhook_idx` ON `notifications` (`tenant_id`,`webhook_id`,`id`);--> statement-breakpoint
CREATE INDEX `notifications_event_idx` ON `notifications` (`tenant_id`,`event_id`,`id`);--> statement-breakpoint
CREATE INDEX `notifications_due_idx` ON `notifications` (`status`,`next_attempt_at`) WHERE next_attempt_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX `ingest_keys_created_idx` ON `ingest_keys` (`created_at`);