-- Business Generated Links and Unique Links: per-unit keys (sealed with the
-- master key of the configuration) and the invitations links stand for.

CREATE TABLE link_keys (
	business_unit_id	TEXT PRIMARY KEY REFERENCES business_units(id),
	encrypt_key		TEXT NOT NULL,	-- sealed, base64
	auth_key		TEXT NOT NULL,	-- sealed, base64
	unique_secret		TEXT NOT NULL,	-- sealed, base64
	created_at		BIGINT NOT NULL,
	updated_at		BIGINT NOT NULL
);

-- A link opened again finds the invitation it made the first time.
ALTER TABLE invitations ADD COLUMN link_hash TEXT;
CREATE UNIQUE INDEX invitations_link_hash ON invitations(business_unit_id,
	link_hash) WHERE link_hash IS NOT NULL;
