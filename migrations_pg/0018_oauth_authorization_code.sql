-- Authorization-code OAuth for third-party applications (issue 14, 1).
--
-- oauth_redirect_uris (module oauth_authorize): the exact URIs an
-- application may send a business user back to. oauth_consents (module
-- auth_codes): a business user's approval of an application for the
-- user's business unit, until revoked. oauth_codes (auth_codes): the
-- single-use codes of the consent page, valid 60 s, bound to the client,
-- the redirect URI and the PKCE challenge; stored as hashes. A token
-- issued through a consent carries it in oauth_tokens.consent_id, so that
-- revoking the consent revokes every token it led to.
CREATE TABLE oauth_redirect_uris (
	app_id			TEXT NOT NULL REFERENCES api_apps(id),
	uri			TEXT NOT NULL,
	created_at		BIGINT NOT NULL,
	PRIMARY KEY (app_id, uri)
);

CREATE TABLE oauth_consents (
	id			TEXT PRIMARY KEY,
	app_id			TEXT NOT NULL REFERENCES api_apps(id),
	user_id			TEXT NOT NULL REFERENCES business_users(id),
	business_unit_id	TEXT NOT NULL REFERENCES business_units(id),
	created_at		BIGINT NOT NULL,
	approved_at		BIGINT NOT NULL,	-- the latest approval
	revoked_at		BIGINT
);
CREATE UNIQUE INDEX oauth_consents_active ON oauth_consents(user_id, app_id)
	WHERE revoked_at IS NULL;

CREATE TABLE oauth_codes (
	code_hash		TEXT PRIMARY KEY,	-- BLAKE2b hex of the code
	consent_id		TEXT NOT NULL REFERENCES oauth_consents(id),
	redirect_uri		TEXT NOT NULL,
	redirect_given		BIGINT NOT NULL,	-- in the request
	code_challenge		TEXT,			-- S256, or NULL
	created_at		BIGINT NOT NULL,
	expires_at		BIGINT NOT NULL,
	used_at			BIGINT
);
CREATE INDEX oauth_codes_consent ON oauth_codes(consent_id);
CREATE INDEX oauth_codes_expires ON oauth_codes(expires_at);

ALTER TABLE oauth_tokens ADD COLUMN consent_id TEXT
	REFERENCES oauth_consents(id);
CREATE INDEX oauth_tokens_consent ON oauth_tokens(consent_id)
	WHERE consent_id IS NOT NULL;
