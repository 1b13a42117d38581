-- Three indexes of 0003 that no statement uses since the list indexes
-- of 0016 (every statement's plan, logged over the whole test suite,
-- named none of them; the daemon runs no ANALYZE, so SQLite's plans do
-- not change with the data). Each cost a page write on every review
-- insert, and reviews_bu_updated one on every update.
DROP INDEX reviews_bu_created;
DROP INDEX reviews_bu_stars;
DROP INDEX reviews_bu_updated;
