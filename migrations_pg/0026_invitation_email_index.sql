-- PostgreSQL twin of migrations/0026_invitation_email_index.sql. The
-- queries that look an address up among a unit's invitations compare it
-- as SQLite's index orders it, "consumer_email = ? COLLATE NOCASE" (the
-- repeat-period check of every new invitation, the history's filter).
-- On PostgreSQL that comparison is in the nocase collation of 0001, which
-- the index of 0004 (the column's own citext order) cannot answer: each
-- check read every invitation of the unit in the window, so a CSV import
-- of n rows cost n * n / 2 row reads (3,000 rows: 34 s). The index is
-- made again in that collation.
DROP INDEX invitations_email;
CREATE INDEX invitations_email ON invitations(business_unit_id,
	(consumer_email COLLATE nocase), created_at);
