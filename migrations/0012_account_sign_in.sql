-- How an account signs in: with its password (kept in the OS keyring or a variable), or
-- with OAuth2 at an issuer ('google', 'microsoft', or an RFC 8414 issuer URL) and, for a
-- custom issuer, the client ID registered there. The refresh token lives in the OS keyring,
-- never here. sign_in_needed: the grant is gone and the person must sign in again.
ALTER TABLE accounts ADD COLUMN auth TEXT NOT NULL DEFAULT 'password' CHECK (auth IN ('password', 'oauth2'));
ALTER TABLE accounts ADD COLUMN oauth_issuer TEXT;
ALTER TABLE accounts ADD COLUMN oauth_client_id TEXT;
ALTER TABLE accounts ADD COLUMN sign_in_needed INTEGER NOT NULL DEFAULT 0 CHECK (sign_in_needed IN (0, 1));
