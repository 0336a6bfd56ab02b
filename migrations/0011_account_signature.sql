-- A signature per account: put under new messages and above the quote in replies.
ALTER TABLE accounts ADD COLUMN signature TEXT;
