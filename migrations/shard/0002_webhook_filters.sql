CREATE TABLE `webhook_filters` (
	`tenant_id` text NOT NULL,
	`pattern` text NOT NULL,
	`webhook_id` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `pattern`, `webhook_id`)
);
--> statement-breakpoint
CREATE INDEX `webhook_filters_webhook_idx` ON `webhook_filters` (`webhook_id`);--> statement-breakpoint
-- Every live webhook's filter, as ingest now reads it.
INSERT OR IGNORE INTO `webhook_filters` (`tenant_id`, `pattern`, `webhook_id`)
SELECT w.`tenant_id`, p.value, w.`id` FROM `webhooks` w, json_each(w.`event_types`) p WHERE w.`deleted_at` IS NULL;
