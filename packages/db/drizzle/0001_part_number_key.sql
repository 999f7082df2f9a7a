ALTER TABLE `parts` ADD `part_number_key` text;--> statement-breakpoint
CREATE UNIQUE INDEX `parts_part_number_key_unique` ON `parts` (`part_number_key`);