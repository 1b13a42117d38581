-- CSV imports run in chunks, each its own transaction (other writers get
-- the database between them), so an import is a thing with a state: its
-- counts so far and the outcome of every row already committed. A row's
-- outcome carries no address: the line, what became of it, the
-- invitation it made and why it was skipped or refused.

CREATE TABLE invitation_imports (
	id			TEXT PRIMARY KEY,
	business_unit_id	TEXT NOT NULL,
	idempotency_key		TEXT,
	status			TEXT NOT NULL CHECK (status IN ('importing',
				    'completed', 'failed')),
	total			BIGINT NOT NULL,	-- data rows in the file
	created			BIGINT NOT NULL DEFAULT 0,
	skipped			BIGINT NOT NULL DEFAULT 0,
	merged			BIGINT NOT NULL DEFAULT 0,
	invalid			BIGINT NOT NULL DEFAULT 0,
	ignored_columns		TEXT NOT NULL DEFAULT '[]',	-- JSON
	created_at		BIGINT NOT NULL,
	updated_at		BIGINT NOT NULL,
	finished_at		BIGINT
);
CREATE INDEX invitation_imports_key ON invitation_imports(business_unit_id,
	idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE invitation_import_rows (
	import_id		TEXT NOT NULL REFERENCES invitation_imports(id),
	line			BIGINT NOT NULL,
	status			TEXT NOT NULL CHECK (status IN ('queued',
				    'skipped', 'merged', 'invalid')),
	invitation_id		TEXT,
	reason			TEXT,		-- skipped: why
	errors			TEXT,		-- invalid: JSON [{field, reason}]
	PRIMARY KEY (import_id, line)
);
