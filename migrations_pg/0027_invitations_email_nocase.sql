-- The duplicate check of an e-mail invitation compares consumer_email
-- COLLATE NOCASE, which the index of 0004 (citext's own collation) cannot
-- answer. 0026 already made invitations_email again in that collation
-- (found twice, by two people at once, in the same session): this one
-- only keeps the numbers of both directories in step, so that no index
-- is kept up twice.
SELECT 1;
