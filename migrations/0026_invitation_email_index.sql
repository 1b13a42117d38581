-- Nothing changes on SQLite: its invitations_email (0004) already orders
-- addresses ignoring case, as the queries that use it compare them
-- (consumer_email = ? COLLATE NOCASE). The PostgreSQL twin makes its
-- index of the same name do the same; this file keeps the numbers of
-- both directories in step.
SELECT 1;
