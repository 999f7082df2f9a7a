-- The audit trail: the client ids that created and last updated each part. Rows stored before this migration
-- keep NULL in both ("written before the audit trail existed"); the indexes serve the exact filters of list.
ALTER TABLE `parts` ADD `created_by` text;--> statement-breakpoint
ALTER TABLE `parts` ADD `updated_by` text;--> statement-breakpoint
CREATE INDEX `parts_created_by_id_idx` ON `parts` (`created_by`,`id`);--> statement-breakpoint
CREATE INDEX `parts_updated_by_id_idx` ON `parts` (`updated_by`,`id`);
