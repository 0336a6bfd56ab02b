-- Sending mail (issue 7): the account's SMTP server and display name, and the outbox.

-- The name put in From (NULL: the address alone).
ALTER TABLE accounts ADD COLUMN display_name TEXT;

-- One SMTP (submission) server per account. The password is the account's (keyring or
-- environment variable), never stored here.
CREATE TABLE smtp_servers (
    account_id        INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    host              TEXT    NOT NULL,
    port              INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    security          TEXT    NOT NULL CHECK (security IN ('tls', 'starttls', 'plain')),
    -- Login name; NULL: the account's IMAP user name.
    username          TEXT,
    -- Plaintext SMTP to a host that is not a loopback address, explicitly allowed.
    allow_plaintext   INTEGER NOT NULL DEFAULT 0 CHECK (allow_plaintext IN (0, 1)),
    -- The server files sent mail in Sent by itself (Gmail, Outlook): Tern does not append.
    saves_sent        INTEGER NOT NULL DEFAULT 0 CHECK (saves_sent IN (0, 1))
) STRICT;

-- Messages written to be sent. A row is written (with its Message-ID and Date in `raw`)
-- before any attempt, and moves through:
--   queued -> sending (claimed by the one drainer holding the outbox lock)
--          -> committing (DATA accepted; the final dot is about to go: from here the
--             server may deliver) -> sent
--   sending -> queued (temporary failure; retried at next_attempt_at, with backoff)
--   sending -> failed (permanent failure: kept, with the server's words, for editing)
--   committing found after a crash or a connection lost before the answer -> uncertain
--             (may have been delivered: never sent again by itself; the user decides)
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    account_id       INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    message_id       TEXT    NOT NULL,
    envelope_from    TEXT    NOT NULL,
    -- Every recipient address (To, Cc and Bcc), one per line.
    recipients       TEXT    NOT NULL,
    subject          TEXT    NOT NULL DEFAULT '',
    -- Exactly what goes to the SMTP server (no Bcc header).
    raw              BLOB    NOT NULL,
    -- What goes to the Sent folder (with Bcc); NULL: same as raw.
    sent_copy        BLOB,
    state            TEXT    NOT NULL CHECK (state IN ('queued', 'sending', 'committing', 'sent', 'failed', 'uncertain')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    sent_at          INTEGER,
    -- The copy in Sent: 'pending' (to append), 'done', or 'none' (the server saves it).
    sent_folder      TEXT    NOT NULL DEFAULT 'pending' CHECK (sent_folder IN ('pending', 'done', 'none')),
    sent_uidvalidity INTEGER,
    sent_uid         INTEGER,
    UNIQUE (account_id, message_id)
) STRICT;

CREATE INDEX outbox_due ON outbox (account_id, state, next_attempt_at);
