-- Whole mailboxes offline (issue 17).

-- Which bodies each account keeps offline: 'none' (headers only), 'days:N' (the last N days
-- of every folder) or 'all'; messages larger than offline_max_bytes keep their text and
-- fetch attachments when saved.
ALTER TABLE accounts ADD COLUMN offline_bodies TEXT NOT NULL DEFAULT 'days:90';
ALTER TABLE accounts ADD COLUMN offline_max_bytes INTEGER NOT NULL DEFAULT 2097152;

-- Eviction order kept with each body: the later of its message's arrival and its last
-- opening. Indexed with the size, eviction reads only the bodies it drops (never the raw
-- bytes of the others).
ALTER TABLE bodies ADD COLUMN evict_after INTEGER NOT NULL DEFAULT 0;
UPDATE bodies SET evict_after = max(
    coalesce((SELECT internal_date FROM messages m WHERE m.id = bodies.message_id), 0),
    coalesce(opened_at, 0));
CREATE INDEX bodies_by_age ON bodies (evict_after, size);

-- Messages whose document is out of date (a body arrived or was evicted after they were
-- indexed). The indexer takes them in batches: storing a body never waits for FTS5.
CREATE TABLE search_stale (
    message_id  INTEGER PRIMARY KEY
) STRICT;

DROP TRIGGER messages_search_delete;
CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
    DELETE FROM search WHERE rowid IN (SELECT doc FROM search_docs WHERE message_id = OLD.id);
    DELETE FROM search_docs WHERE message_id = OLD.id;
    DELETE FROM search_stale WHERE message_id = OLD.id;
    -- Deleting the newest row lets SQLite hand its id out again: index from there anew.
    UPDATE search_state
       SET indexed_up_to = (SELECT coalesce(max(id), 0) FROM messages)
     WHERE indexed_up_to >= OLD.id AND OLD.id > (SELECT coalesce(max(id), 0) FROM messages);
END;
