-- Refresh token families: every token descends from one grant (a password
-- or client_credentials request) and carries its family_id; a spent refresh
-- token presented again revokes the whole family. The old schema did not
-- record which refresh token an exchange spent, so older chains cannot be
-- rebuilt: each existing refresh token starts its own family, joined by the
-- access tokens issued with it.
ALTER TABLE oauth_tokens ADD COLUMN family_id TEXT;
UPDATE oauth_tokens SET family_id = CASE kind
    WHEN 'refresh' THEN token_hash
    ELSE coalesce(refresh_hash, token_hash) END;
CREATE INDEX oauth_tokens_family ON oauth_tokens(family_id);

-- Sign-in throttling ([auth] max_failures, failure_window_s): failed and
-- in-flight attempts per subject ('app:ID' for an application's secret,
-- 'user:HASH' for a username of a business unit) in the window that began
-- at window_start. Rows whose window has passed mean nothing and are pruned.
CREATE TABLE auth_failures (
	subject			TEXT PRIMARY KEY,
	window_start		BIGINT NOT NULL,
	failures		BIGINT NOT NULL
);
CREATE INDEX auth_failures_window ON auth_failures(window_start);
