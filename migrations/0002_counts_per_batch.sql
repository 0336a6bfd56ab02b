-- Folder counts for inserts are now kept per batch by mail-store's upsert_messages (the only
-- insert path): a per-row insert trigger cost a quarter of an initial sync's write time.
-- Deletes and changes of seen / folder are still counted by the triggers of 0001.
DROP TRIGGER IF EXISTS messages_count_insert;

-- Nothing reads these; each cost ~0.35 s of CPU per 100k inserted messages. Threading
-- (Message-ID lookups) will add the index it needs with its own migration.
DROP INDEX IF EXISTS messages_unseen;
DROP INDEX IF EXISTS messages_by_message_id;
