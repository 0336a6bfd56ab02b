-- A body that changes owner (a Gmail message's body moving to the copy that stays, migration
-- 0015) makes the new owner's search document out of date: it was indexed without the
-- body's text. The indexer takes it up again like any document whose body arrived.
CREATE TRIGGER bodies_moved_reindexed AFTER UPDATE OF message_id ON bodies
WHEN NEW.message_id != OLD.message_id
BEGIN
    INSERT INTO search_stale (message_id)
    SELECT NEW.message_id WHERE NEW.message_id <= (SELECT indexed_up_to FROM search_state WHERE id = 1)
    ON CONFLICT DO NOTHING;
END;
