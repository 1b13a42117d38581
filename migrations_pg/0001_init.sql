-- Business units, their API applications and users, OAuth tokens, settings.
-- Times are integer milliseconds since the Unix epoch (UTC).
-- PostgreSQL: SQLite's INTEGER is BIGINT (0/1 flags too, so that the SQL
-- of the modules reads them the same on both), INTEGER PRIMARY KEY an
-- identity column, COLLATE NOCASE the citext type.
CREATE EXTENSION IF NOT EXISTS citext;
-- What a statement's COLLATE NOCASE names: comparison ignoring case.
CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2',
    deterministic = false);

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

-- PostgreSQL: the SQLite JSON functions the modules' SQL calls, over JSON
-- kept as text (as on SQLite). A path is SQLite's "$.a.b[0].c".
CREATE FUNCTION json_path_array(path TEXT) RETURNS TEXT[]
LANGUAGE sql IMMUTABLE AS $$
	SELECT string_to_array(regexp_replace(regexp_replace(path,
	    '^\$\.?', ''), '\[(\d+)\]', '.\1', 'g'), '.');
$$;

-- The elements of a JSON array (or the values of an object), as text.
CREATE FUNCTION json_each(doc TEXT) RETURNS TABLE (key TEXT, value TEXT)
LANGUAGE sql IMMUTABLE AS $$
	SELECT (e.n - 1)::text, e.v
	FROM jsonb_array_elements_text(CASE jsonb_typeof(doc::jsonb)
	    WHEN 'array' THEN doc::jsonb ELSE '[]'::jsonb END)
	    WITH ORDINALITY AS e(v, n)
	UNION ALL
	SELECT o.key, o.value FROM jsonb_each_text(CASE
	    jsonb_typeof(doc::jsonb) WHEN 'object' THEN doc::jsonb
	    ELSE '{}'::jsonb END) AS o;
$$;

-- The value at path: text for a string, JSON text for others, NULL when
-- absent.
CREATE FUNCTION json_extract(doc TEXT, path TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE jsonb_typeof(v) WHEN 'string' THEN v #>> '{}'
	    WHEN 'null' THEN NULL ELSE v::text END
	FROM (SELECT doc::jsonb #> json_path_array(path) AS v) AS x;
$$;

CREATE FUNCTION json_remove(doc TEXT, VARIADIC paths TEXT[]) RETURNS TEXT
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	j JSONB := doc::jsonb;
	p TEXT;
BEGIN
	FOREACH p IN ARRAY paths LOOP
		j := j #- json_path_array(p);
	END LOOP;
	RETURN j::text;
END $$;

-- Replaces the value at path when it is there (a string value).
CREATE FUNCTION json_replace(doc TEXT, path TEXT, value TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_set(doc::jsonb, json_path_array(path), to_jsonb(value),
	    false)::text;
$$;

-- "n IN (SELECT value FROM json_each(?))" where n is a number: SQLite's
-- value is the number, here its text.
CREATE FUNCTION bigint_eq_text(a BIGINT, b TEXT) RETURNS BOOLEAN
LANGUAGE sql IMMUTABLE AS $$
	SELECT a::text = b;
$$;
CREATE OPERATOR = (LEFTARG = BIGINT, RIGHTARG = TEXT,
    FUNCTION = bigint_eq_text);

-- json_group_array(x): the values of the group as a JSON array ("[]" for
-- none), objects of json_object (json_build_object here) kept as objects.
CREATE FUNCTION json_group_array_step(acc JSONB, v ANYELEMENT)
RETURNS JSONB LANGUAGE sql IMMUTABLE AS $$
	SELECT acc || jsonb_build_array(v);
$$;
CREATE FUNCTION json_group_array_end(acc JSONB) RETURNS TEXT
LANGUAGE sql IMMUTABLE AS $$
	SELECT acc::text;
$$;
CREATE AGGREGATE json_group_array(ANYELEMENT) (
	SFUNC = json_group_array_step,
	STYPE = JSONB,
	FINALFUNC = json_group_array_end,
	INITCOND = '[]'
);
