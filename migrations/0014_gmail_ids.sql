-- Gmail (X-GM-EXT-1, issue 16): one message shows in several label folders under different
-- UIDs but one X-GM-MSGID; its conversation is X-GM-THRID; its labels X-GM-LABELS (a
-- space-separated list of IMAP strings). NULL on other servers.
ALTER TABLE messages ADD COLUMN gm_msgid INTEGER;
ALTER TABLE messages ADD COLUMN gm_thrid INTEGER;
ALTER TABLE messages ADD COLUMN gm_labels TEXT;
CREATE INDEX messages_gm_msgid ON messages (gm_msgid) WHERE gm_msgid IS NOT NULL;
