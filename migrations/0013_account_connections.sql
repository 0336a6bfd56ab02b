-- The most IMAP connections Tern holds at once for the account, the request connection
-- included (issue 16): Gmail allows 15 per account, Dovecot 10 per user and address, shared
-- with every other client the person runs.
ALTER TABLE accounts ADD COLUMN max_connections INTEGER NOT NULL DEFAULT 4;
