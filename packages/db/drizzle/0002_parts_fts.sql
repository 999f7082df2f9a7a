-- Substring search over the four searched columns: an FTS5 trigram index whose content stays in `parts`
-- (external content, rowid = parts.id). case_sensitive 0 folds case for all of Unicode (LIKE folds ASCII
-- only); remove_diacritics 0 keeps accents significant, as Postgres ILIKE does.
CREATE VIRTUAL TABLE `parts_fts` USING fts5(
	`part_number`, `model_number`, `name`, `description`,
	content = 'parts', content_rowid = 'id',
	tokenize = 'trigram case_sensitive 0 remove_diacritics 0'
);
--> statement-breakpoint
-- The triggers keep the index in step inside the writing transaction: a rolled-back write leaves it unchanged.
CREATE TRIGGER `parts_fts_after_insert` AFTER INSERT ON `parts` BEGIN
	INSERT INTO `parts_fts` (rowid, `part_number`, `model_number`, `name`, `description`)
	VALUES (new.`id`, new.`part_number`, new.`model_number`, new.`name`, new.`description`);
END;
--> statement-breakpoint
CREATE TRIGGER `parts_fts_after_delete` AFTER DELETE ON `parts` BEGIN
	INSERT INTO `parts_fts` (`parts_fts`, rowid, `part_number`, `model_number`, `name`, `description`)
	VALUES ('delete', old.`id`, old.`part_number`, old.`model_number`, old.`name`, old.`description`);
END;
--> statement-breakpoint
-- Only updates that name a searched column re-index the row (not timestamp-only or part_number_key writes).
CREATE TRIGGER `parts_fts_after_update` AFTER UPDATE OF `part_number`, `model_number`, `name`, `description` ON `parts` BEGIN
	INSERT INTO `parts_fts` (`parts_fts`, rowid, `part_number`, `model_number`, `name`, `description`)
	VALUES ('delete', old.`id`, old.`part_number`, old.`model_number`, old.`name`, old.`description`);
	INSERT INTO `parts_fts` (rowid, `part_number`, `model_number`, `name`, `description`)
	VALUES (new.`id`, new.`part_number`, new.`model_number`, new.`name`, new.`description`);
END;
--> statement-breakpoint
-- Index the rows stored before this migration.
INSERT INTO `parts_fts` (`parts_fts`) VALUES ('rebuild');
