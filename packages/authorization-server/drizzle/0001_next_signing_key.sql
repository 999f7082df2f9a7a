ALTER TABLE `signing_keys` ADD `activated_at` integer;--> statement-breakpoint
-- Keys created before this migration signed from creation: the unretired one is the current key.
UPDATE `signing_keys` SET `activated_at` = `created_at`;
