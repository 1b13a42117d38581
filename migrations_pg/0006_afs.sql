-- Automatic Feedback Service: invitations from BCC'd order e-mails.

CREATE TABLE afs_settings (
	business_unit_id	TEXT PRIMARY KEY REFERENCES business_units(id),
	token			TEXT NOT NULL UNIQUE,	-- in the inbound address
	delay_days		BIGINT NOT NULL DEFAULT 7,
	reference_pattern	TEXT,			-- POSIX extended regex
	received		BIGINT NOT NULL DEFAULT 0,
	created			BIGINT NOT NULL DEFAULT 0,
	duplicates		BIGINT NOT NULL DEFAULT 0,
	rejected		BIGINT NOT NULL DEFAULT 0,
	updated_at		BIGINT NOT NULL
);

CREATE TABLE afs_messages (
	business_unit_id	TEXT NOT NULL REFERENCES business_units(id),
	message_id		TEXT NOT NULL,
	invitation_id		TEXT,
	received_at		BIGINT NOT NULL,
	PRIMARY KEY (business_unit_id, message_id)
);
