-- Message bodies kept for offline reading, and full-text search over the cache.

CREATE TABLE bodies (
    message_id  INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    -- The whole message as the server sent it (BODY.PEEK[]).
    raw         BLOB    NOT NULL,
    size        INTEGER NOT NULL,
    -- The readable text (plain part, or the HTML's text), for search and quick display.
    body_text   TEXT    NOT NULL DEFAULT '',
    fetched_at  INTEGER NOT NULL,
    opened_at   INTEGER
) STRICT;

-- FTS5 without its own copy of the text (the text lives in messages and bodies). Its rowid
-- is a *document number* that sorts newest first, ((2^42 - INTERNALDATE) << 20) + a
-- tie-breaker, so a search reads the newest matches first and stops after a few hundred
-- instead of reading every match of a common word;
-- search_docs maps document numbers to messages. Rows are added by mail-store's indexer, in
-- batches after syncs (a first sync is not slowed), and replaced when a body arrives or is
-- evicted.
CREATE VIRTUAL TABLE search USING fts5 (
    subject, people, body,
    content = '', contentless_delete = 1, prefix = '2 3 4 5 6',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TABLE search_docs (
    doc         INTEGER PRIMARY KEY,
    message_id  INTEGER NOT NULL UNIQUE
) STRICT;

-- Every message with an id up to this is in the index.
CREATE TABLE search_state (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_up_to  INTEGER NOT NULL
) STRICT;
INSERT INTO search_state (id, indexed_up_to) VALUES (1, 0);

CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
    DELETE FROM search WHERE rowid IN (SELECT doc FROM search_docs WHERE message_id = OLD.id);
    DELETE FROM search_docs WHERE message_id = OLD.id;
    -- Deleting the newest row lets SQLite hand its id out again: index from there anew.
    UPDATE search_state
       SET indexed_up_to = (SELECT coalesce(max(id), 0) FROM messages)
     WHERE indexed_up_to >= OLD.id AND OLD.id > (SELECT coalesce(max(id), 0) FROM messages);
END;
