-- Find Reviewer requests, reports with moderation, and the audit trail.

CREATE TABLE find_reviewer_requests (
	id			TEXT PRIMARY KEY,
	review_id		TEXT NOT NULL REFERENCES reviews(id),
	business_unit_id	TEXT NOT NULL REFERENCES business_units(id),
	message			TEXT NOT NULL,
	requested		TEXT NOT NULL DEFAULT '[]',	-- JSON
	notify_business		INTEGER NOT NULL DEFAULT 1,
	status			TEXT NOT NULL CHECK (status IN ('open',
				    'replied', 'declined', 'expired')),
	token_hash		TEXT NOT NULL UNIQUE,
	deadline		INTEGER NOT NULL,
	response		TEXT,		-- JSON, only what the reviewer typed
	responded_at		INTEGER,
	created_at		INTEGER NOT NULL,
	closed_at		INTEGER
);
CREATE INDEX find_reviewer_open ON find_reviewer_requests(deadline)
	WHERE status = 'open';
CREATE INDEX find_reviewer_review ON find_reviewer_requests(review_id);

CREATE TABLE reports (
	id			TEXT PRIMARY KEY,
	review_id		TEXT NOT NULL REFERENCES reviews(id),
	business_unit_id	TEXT NOT NULL REFERENCES business_units(id),
	reason			TEXT NOT NULL,
	details			TEXT NOT NULL DEFAULT '',
	hides			INTEGER NOT NULL,
	status			TEXT NOT NULL CHECK (status IN ('pending',
				    'upheld', 'rejected')),
	decision_note		TEXT,
	created_at		INTEGER NOT NULL,
	decided_at		INTEGER
);
CREATE INDEX reports_status ON reports(status, created_at);
CREATE INDEX reports_review ON reports(review_id);

CREATE TABLE audit_log (
	id			INTEGER PRIMARY KEY,
	at			INTEGER NOT NULL,
	actor			TEXT NOT NULL,	-- business:<unit>, admin, reviewer, system
	action			TEXT NOT NULL,
	subject			TEXT NOT NULL,	-- review:<id>, report:<id>, ...
	detail			TEXT
);
CREATE INDEX audit_log_subject ON audit_log(subject, id);
