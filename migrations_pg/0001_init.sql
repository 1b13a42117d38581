-- Business units, their API applications and users, OAuth tokens, settings.
-- Times are integer milliseconds since the Unix epoch (UTC).
-- PostgreSQL: SQLite's INTEGER is BIGINT (0/1 flags too, so that the SQL
-- of the modules reads them the same on both), INTEGER PRIMARY KEY an
-- identity column, COLLATE NOCASE the citext type.
CREATE EXTENSION IF NOT EXISTS citext;

CREATE TABLE business_units (
	id			TEXT PRIMARY KEY,	-- 24 lowercase hex
	display_name		TEXT NOT NULL,
	domain			TEXT NOT NULL UNIQUE,	-- lowercase
	website_url		TEXT NOT NULL,
	country			TEXT NOT NULL DEFAULT '',
	status			TEXT NOT NULL DEFAULT 'active',
	notification_email	TEXT NOT NULL DEFAULT '',
	sender_name		TEXT NOT NULL DEFAULT '',
	default_locale		TEXT NOT NULL DEFAULT 'en-US',
	created_at		BIGINT NOT NULL,
	updated_at		BIGINT NOT NULL
);

CREATE TABLE api_apps (
	id			TEXT PRIMARY KEY,
	business_unit_id	TEXT NOT NULL REFERENCES business_units(id),
	name			TEXT NOT NULL,
	api_key			TEXT NOT NULL UNIQUE,
	secret_hash		TEXT NOT NULL,		-- BLAKE2b hex of the secret
	created_at		BIGINT NOT NULL,
	revoked_at		BIGINT
);
CREATE INDEX api_apps_business_unit ON api_apps(business_unit_id);

CREATE TABLE business_users (
	id			TEXT PRIMARY KEY,
	business_unit_id	TEXT NOT NULL REFERENCES business_units(id),
	username		CITEXT NOT NULL UNIQUE,
	password_hash		TEXT NOT NULL,		-- argon2id string
	created_at		BIGINT NOT NULL
);
CREATE INDEX business_users_business_unit ON business_users(business_unit_id);

CREATE TABLE oauth_tokens (
	token_hash		TEXT PRIMARY KEY,	-- BLAKE2b hex of the token
	kind			TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
	app_id			TEXT NOT NULL REFERENCES api_apps(id),
	user_id			TEXT REFERENCES business_users(id),
	business_unit_id	TEXT NOT NULL REFERENCES business_units(id),
	refresh_hash		TEXT,			-- issued with this refresh token
	created_at		BIGINT NOT NULL,
	expires_at		BIGINT NOT NULL,
	revoked_at		BIGINT
);
CREATE INDEX oauth_tokens_app_created ON oauth_tokens(app_id, created_at);
CREATE INDEX oauth_tokens_refresh ON oauth_tokens(refresh_hash)
	WHERE refresh_hash IS NOT NULL;

CREATE TABLE settings (
	name			TEXT PRIMARY KEY,
	value			TEXT NOT NULL
);
