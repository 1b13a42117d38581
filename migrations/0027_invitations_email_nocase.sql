-- The duplicate check of an e-mail invitation compares consumer_email
-- COLLATE NOCASE: on SQLite invitations_email (0004) is that index
-- already, so this is a no-op here. Its PostgreSQL twin makes the index
-- with the same collation (issue 17, h-pgperf).
CREATE INDEX IF NOT EXISTS invitations_email ON invitations(
	business_unit_id, consumer_email COLLATE NOCASE, created_at);
