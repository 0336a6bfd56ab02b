-- A message list's attachment mark: set when the message's top-level Content-Type is
-- multipart/mixed (how mail with attachments is built), read from the header fields the
-- list fetches anyway. Messages cached before this migration show no mark until resynced.
ALTER TABLE messages ADD COLUMN attachments INTEGER NOT NULL DEFAULT 0 CHECK (attachments IN (0, 1));
