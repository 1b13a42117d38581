-- Two indexes of 0003 that no statement uses since the list indexes of
-- 0016: nothing filters reviews by a unit and its stars or orders them
-- by updated_at outside the list shapes. Each cost a page write on every
-- review insert, and reviews_bu_updated one on every update.
-- reviews_bu_created stays here (SQLite drops it): the duplicate check's
-- "sku IS NOT DISTINCT FROM $3" cannot seek reviews_bu_sku on
-- PostgreSQL, so (business_unit_id, created_at) is its range.
DROP INDEX reviews_bu_stars;
DROP INDEX reviews_bu_updated;
