-- Senders whose messages may load remote content (images) when shown: the reader's
-- "always show images from this sender". Per-message permission is a choice at display
-- time and is not stored.
CREATE TABLE remote_content_allowed (
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- The sender's address, lowercase.
    sender      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (account_id, sender)
) STRICT;
