-- Drafts (issue 7): saved locally while the person types, copied to the server's Drafts
-- folder (each new version replaces the previous copy there), removed when sent or discarded.
CREATE TABLE drafts (
    id                INTEGER PRIMARY KEY,
    account_id        INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    -- The draft as JSON (mail_message::Draft: recipients, subject, text, threading, attachments).
    content           TEXT    NOT NULL,
    subject           TEXT    NOT NULL DEFAULT '',
    -- Stable across versions: finds the server copy (and a draft opened from the server).
    message_id        TEXT    NOT NULL,
    -- Bumped by every local save; the server copy is current when server_version = version.
    version           INTEGER NOT NULL DEFAULT 1,
    server_version    INTEGER NOT NULL DEFAULT 0,
    server_uidvalidity INTEGER,
    server_uid        INTEGER,
    updated_at        INTEGER NOT NULL,
    UNIQUE (account_id, message_id)
) STRICT;

-- Server copies of drafts to delete from the Drafts folder (a replaced version, a draft sent
-- or discarded), kept until the server has done it: offline, nothing is forgotten.
CREATE TABLE draft_removals (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    uidvalidity    INTEGER NOT NULL,
    uid            INTEGER NOT NULL,
    UNIQUE (account_id, uidvalidity, uid)
) STRICT;
