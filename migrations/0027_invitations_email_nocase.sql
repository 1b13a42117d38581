-- Nothing changes on SQLite: its invitations_email (0004) already orders
-- addresses ignoring case, as the duplicate check compares them. The
-- PostgreSQL twin is a no-op too (0026 made its index); this file keeps
-- the numbers of both directories in step.
SELECT 1;
