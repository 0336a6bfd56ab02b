-- Queued actions brought over from a damaged cache by `tern cache rebuild`. They name their
-- message by folder name, UIDVALIDITY and UID (the new cache's folders are new rows) and are
-- queued again, in their original order, once their folder has been synced; until then they
-- wait here (offline too). One whose folder changed UIDVALIDITY or whose message is gone is
-- dropped with an `action_dropped` event.
CREATE TABLE restored_actions (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- The order the person made them in (the old queue's ids).
    ordinal      INTEGER NOT NULL,
    folder       TEXT    NOT NULL,
    uidvalidity  INTEGER NOT NULL,
    -- A UID >= 2^32 is a local UID: a message moved here by an earlier restored move.
    uid          INTEGER NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('add_flag', 'remove_flag', 'move', 'expunge')),
    flag         TEXT,
    target       TEXT,
    -- For moves: the local UID the moved message had in the target, and the one it has now
    -- (once queued again), so later actions on it find it.
    local_uid    INTEGER,
    requeued_as  INTEGER,
    created_at   INTEGER NOT NULL
) STRICT;
