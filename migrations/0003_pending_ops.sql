-- Actions taken on the cache that the server has not confirmed yet. Each row is written in
-- the same transaction as the optimistic change to `messages`, replayed in `id` order, and
-- deleted only once the server has confirmed it (or it can never apply: the message is gone).
CREATE TABLE pending_ops (
    -- AUTOINCREMENT: ids are never reused, so local UIDs derived from them stay unique.
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The message, as the cache names it now. A UID >= 2^32 is a local UID: a message moved
    -- into this folder whose server UID is not known yet.
    folder_id    INTEGER NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
    uid          INTEGER NOT NULL CHECK (uid > 0),
    kind         TEXT    NOT NULL CHECK (kind IN ('add_flag', 'remove_flag', 'move', 'expunge')),
    -- add_flag / remove_flag: the flag (\Seen, \Flagged, a keyword).
    flag         TEXT,
    -- move: where to, and the local UID the message has there until the server assigns one.
    target_id    INTEGER REFERENCES folders (id) ON DELETE CASCADE,
    local_uid    INTEGER,
    -- The message's flags before the action: what the server still has (a move or expunge
    -- keeps the message in the server's view of the folder until replayed), and what a
    -- refused flag change reverts to.
    prior_flags  TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    CHECK (kind NOT IN ('add_flag', 'remove_flag') OR flag IS NOT NULL),
    CHECK (kind <> 'move' OR (target_id IS NOT NULL AND local_uid IS NOT NULL))
) STRICT;

CREATE INDEX pending_ops_by_message ON pending_ops (folder_id, uid);
