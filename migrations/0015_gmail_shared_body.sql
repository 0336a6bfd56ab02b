-- A Gmail message's body is kept once, with whichever copy (label folder) fetched it. When
-- that copy goes (archived out of INBOX, a label removed) while another copy stays, the body
-- goes to the one that stays instead of with the row.
CREATE TRIGGER messages_gmail_body_survives BEFORE DELETE ON messages
WHEN OLD.gm_msgid IS NOT NULL AND EXISTS (SELECT 1 FROM bodies WHERE message_id = OLD.id)
BEGIN
    UPDATE bodies SET message_id = (
        SELECT o.id FROM messages o
        JOIN folders fo ON fo.id = o.folder_id
        JOIN folders f ON f.id = OLD.folder_id AND f.account_id = fo.account_id
        WHERE o.gm_msgid = OLD.gm_msgid AND o.id != OLD.id
          AND NOT EXISTS (SELECT 1 FROM bodies b WHERE b.message_id = o.id)
        LIMIT 1)
    WHERE message_id = OLD.id
      AND EXISTS (
        SELECT 1 FROM messages o
        JOIN folders fo ON fo.id = o.folder_id
        JOIN folders f ON f.id = OLD.folder_id AND f.account_id = fo.account_id
        WHERE o.gm_msgid = OLD.gm_msgid AND o.id != OLD.id
          AND NOT EXISTS (SELECT 1 FROM bodies b WHERE b.message_id = o.id));
END;
