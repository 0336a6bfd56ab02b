-- Tern cache schema, version 1: accounts, folders, message headers and per-folder sync state.
-- Migrations are append-only: never edit a released file, add the next one.

CREATE TABLE accounts (
    id              INTEGER PRIMARY KEY,
    email           TEXT    NOT NULL UNIQUE,
    imap_host       TEXT    NOT NULL,
    imap_port       INTEGER NOT NULL CHECK (imap_port BETWEEN 1 AND 65535),
    security        TEXT    NOT NULL CHECK (security IN ('tls', 'starttls', 'plain')),
    username        TEXT    NOT NULL,
    -- Extra CA certificate (PEM file path) trusted for this account's server.
    ca_file         TEXT,
    -- 'keyring' (OS keyring, service "tern", user = email) or 'env' (read from password_env).
    password_source TEXT    NOT NULL CHECK (password_source IN ('keyring', 'env')),
    password_env    TEXT,
    -- Explicit opt-in to plaintext IMAP to a host that is not a loopback address.
    allow_plaintext INTEGER NOT NULL DEFAULT 0 CHECK (allow_plaintext IN (0, 1)),
    created_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE folders (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    delimiter   TEXT,
    role        TEXT CHECK (role IN ('inbox', 'sent', 'drafts', 'trash', 'archive', 'junk', 'all', 'flagged')),
    -- LIST attributes, space-separated (\HasNoChildren \Sent ...).
    attributes  TEXT    NOT NULL DEFAULT '',
    selectable  INTEGER NOT NULL DEFAULT 1 CHECK (selectable IN (0, 1)),
    -- Cached message counts, kept by the triggers below (counting 100k rows per query is slow).
    total       INTEGER NOT NULL DEFAULT 0,
    unread      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (account_id, name)
) STRICT;

CREATE TABLE messages (
    id            INTEGER PRIMARY KEY,
    folder_id     INTEGER NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
    uid           INTEGER NOT NULL CHECK (uid > 0),
    -- Canonical flags, space-separated; seen/flagged duplicated for indexed counts.
    flags         TEXT    NOT NULL DEFAULT '',
    seen          INTEGER NOT NULL DEFAULT 0 CHECK (seen IN (0, 1)),
    flagged       INTEGER NOT NULL DEFAULT 0 CHECK (flagged IN (0, 1)),
    subject       TEXT    NOT NULL DEFAULT '',
    from_name     TEXT    NOT NULL DEFAULT '',
    from_address  TEXT    NOT NULL DEFAULT '',
    -- Display lists: "Name <addr>, other@example.org".
    to_list       TEXT    NOT NULL DEFAULT '',
    cc_list       TEXT    NOT NULL DEFAULT '',
    -- The Date header as Unix seconds (NULL when missing or unparsable).
    date          INTEGER,
    internal_date INTEGER NOT NULL,
    size          INTEGER NOT NULL DEFAULT 0,
    message_id    TEXT    NOT NULL DEFAULT '',
    in_reply_to   TEXT    NOT NULL DEFAULT '',
    -- Message-IDs from the References header, space-separated.
    references_   TEXT    NOT NULL DEFAULT '',
    UNIQUE (folder_id, uid)
) STRICT;

CREATE INDEX messages_by_arrival ON messages (folder_id, internal_date DESC, uid DESC);
CREATE INDEX messages_unseen ON messages (folder_id, seen);
CREATE INDEX messages_by_message_id ON messages (message_id) WHERE message_id <> '';

CREATE TRIGGER messages_count_insert AFTER INSERT ON messages BEGIN
    UPDATE folders SET total = total + 1, unread = unread + (1 - NEW.seen) WHERE id = NEW.folder_id;
END;

CREATE TRIGGER messages_count_delete AFTER DELETE ON messages BEGIN
    UPDATE folders SET total = total - 1, unread = unread - (1 - OLD.seen) WHERE id = OLD.folder_id;
END;

CREATE TRIGGER messages_count_update AFTER UPDATE OF seen, folder_id ON messages
WHEN OLD.seen <> NEW.seen OR OLD.folder_id <> NEW.folder_id BEGIN
    UPDATE folders SET total = total - 1, unread = unread - (1 - OLD.seen) WHERE id = OLD.folder_id;
    UPDATE folders SET total = total + 1, unread = unread + (1 - NEW.seen) WHERE id = NEW.folder_id;
END;

CREATE TABLE sync_meta (
    folder_id         INTEGER PRIMARY KEY REFERENCES folders (id) ON DELETE CASCADE,
    uidvalidity       INTEGER NOT NULL,
    uidnext           INTEGER NOT NULL,
    -- 0 when the server reports no HIGHESTMODSEQ for the folder.
    highestmodseq     INTEGER NOT NULL DEFAULT 0,
    -- While the initial sync is incomplete: all server UIDs >= this are cached. NULL when complete.
    initial_low_uid   INTEGER,
    last_strategy     TEXT    NOT NULL DEFAULT '',
    last_full_sync    INTEGER,
    last_delta_sync   INTEGER
) STRICT;
