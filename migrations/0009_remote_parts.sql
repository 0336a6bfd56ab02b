-- Where a message fetched text first left its attachments on the server (IMAP section and
-- size per attachment, as JSON written by the engine) lives beside the cached bytes, never
-- inside them: a sender can write any header into a message.
ALTER TABLE bodies ADD COLUMN remote_parts TEXT NOT NULL DEFAULT '';

-- Older versions kept that inside the rebuilt bytes (X-Tern-Partial / X-Tern-Section
-- headers), which cannot be told from a forged copy: fetch those bodies again when opened.
-- Their search entries stay (the text parts they were built from do not change).
DELETE FROM bodies WHERE instr(raw, CAST('X-Tern-Partial:' AS BLOB)) > 0;
