-- Whether a message's preview is known (issue 18): made from its body when that was kept, or
-- from the first bytes of its text when not. A preview may be rightly empty (a message with
-- only an attachment), so emptiness cannot say it is still wanted. No index: the rows that
-- want one are found walking (folder_id, uid) newest first, which costs a sync nothing.
ALTER TABLE messages ADD COLUMN preview_known INTEGER NOT NULL DEFAULT 0;
UPDATE messages SET preview_known = 1
 WHERE preview <> '' OR EXISTS (SELECT 1 FROM bodies b WHERE b.message_id = messages.id);
