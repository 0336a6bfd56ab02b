-- The beginning of what the sender wrote, for the message list (issue 18): kept with the
-- row, filled when the message's body is cached, never computed while the list scrolls.
ALTER TABLE messages ADD COLUMN preview TEXT NOT NULL DEFAULT '';
