ALTER TABLE `webhooks` ADD `previous_secret_sealed` text;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `previous_secret_expires_at` integer;