-- PostgreSQL twin of migrations/0024_business_logo.sql: a business's
-- logo in its invitation e-mails (issue 15), never in mails to organic
-- reviewers (see the SQLite file for why).
ALTER TABLE business_units ADD COLUMN logo_url TEXT NOT NULL DEFAULT '';
