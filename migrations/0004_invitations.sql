-- Invitations: the queue, their events, business templates, suppression
-- (unsubscribes are kept as hashes so erasing a customer's data leaves no
-- address behind), idempotent requests.

CREATE TABLE invitation_templates (
	id			TEXT PRIMARY KEY,
	business_unit_id	TEXT NOT NULL REFERENCES business_units(id),
	name			TEXT NOT NULL,
	locale			TEXT NOT NULL,
	subject			TEXT NOT NULL,
	text			TEXT NOT NULL,
	html			TEXT NOT NULL,
	created_at		INTEGER NOT NULL,
	updated_at		INTEGER NOT NULL
);
CREATE INDEX invitation_templates_bu ON invitation_templates(business_unit_id);

CREATE TABLE invitations (
	seq			INTEGER PRIMARY KEY,
	id			TEXT NOT NULL UNIQUE,
	business_unit_id	TEXT NOT NULL REFERENCES business_units(id),
	consumer_email		TEXT,		-- NULL once erased
	consumer_name		TEXT,		-- NULL once erased
	reference_number	TEXT,
	locale			TEXT NOT NULL,
	sender_name		TEXT,
	sender_email		TEXT,
	reply_to		TEXT,
	location_id		TEXT,
	template_id		TEXT,
	redirect_uri		TEXT,
	tags			TEXT NOT NULL DEFAULT '[]',	-- JSON
	service			INTEGER NOT NULL,	-- asks for a service review
	products		TEXT NOT NULL DEFAULT '[]',	-- JSON
	origin			TEXT NOT NULL,	-- api, batch, csv, link
	link_kind		TEXT NOT NULL DEFAULT 'email_invitation',
	status			TEXT NOT NULL CHECK (status IN ('queued',
				    'sending', 'sent', 'cancelled', 'skipped')),
	skip_reason		TEXT,
	send_at			INTEGER NOT NULL,
	sent_at			INTEGER,
	cancelled_at		INTEGER,
	token_hash		TEXT UNIQUE,
	token_expires_at	INTEGER,
	unsubscribe_hash	TEXT UNIQUE,
	opened_at		INTEGER,
	reviewed_at		INTEGER,
	review_ids		TEXT NOT NULL DEFAULT '[]',	-- JSON
	erased_at		INTEGER,
	created_at		INTEGER NOT NULL,
	updated_at		INTEGER NOT NULL
);
CREATE INDEX invitations_due ON invitations(send_at) WHERE status = 'queued';
CREATE INDEX invitations_bu ON invitations(business_unit_id, seq);
CREATE INDEX invitations_email ON invitations(business_unit_id,
	consumer_email COLLATE NOCASE, created_at);
CREATE INDEX invitations_reference ON invitations(business_unit_id,
	reference_number);

CREATE TABLE invitation_events (
	id			INTEGER PRIMARY KEY,
	invitation_id		TEXT NOT NULL REFERENCES invitations(id),
	kind			TEXT NOT NULL,
	detail			TEXT,
	at			INTEGER NOT NULL
);
CREATE INDEX invitation_events_invitation ON invitation_events(invitation_id);

CREATE TABLE unsubscribes (
	business_unit_id	TEXT NOT NULL REFERENCES business_units(id),
	address_hash		TEXT NOT NULL,	-- BLAKE2b of the lowercased address
	created_at		INTEGER NOT NULL,
	PRIMARY KEY (business_unit_id, address_hash)
);

CREATE TABLE idempotency_keys (
	business_unit_id	TEXT NOT NULL,
	key			TEXT NOT NULL,
	request_hash		TEXT NOT NULL,
	status			INTEGER NOT NULL,
	response		TEXT NOT NULL,
	created_at		INTEGER NOT NULL,
	PRIMARY KEY (business_unit_id, key)
);

-- The outbox tells the owner of a row when it was delivered.
ALTER TABLE outbox ADD COLUMN owner TEXT;	-- e.g. "invitation:<id>"
CREATE INDEX outbox_owner ON outbox(owner) WHERE owner IS NOT NULL;
