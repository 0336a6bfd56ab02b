-- Whether a message's preview is known (issue 18): made from its body when that was kept, or
-- from the first bytes of its text when not. A preview may be rightly empty (a message with
-- only an attachment), so emptiness cannot say it is still wanted; the partial index lists
-- what is, and empties as previews come in.
ALTER TABLE messages ADD COLUMN preview_known INTEGER NOT NULL DEFAULT 0;
UPDATE messages SET preview_known = 1
 WHERE preview <> '' OR EXISTS (SELECT 1 FROM bodies b WHERE b.message_id = messages.id);
CREATE INDEX messages_preview_wanted ON messages (folder_id, uid) WHERE preview_known = 0;
