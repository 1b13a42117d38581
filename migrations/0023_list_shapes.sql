-- More list shapes that walk an index in list order (issue 13, goal 2):
-- private lists by source and by tag read perPage + a few index entries,
-- not a table row for every review of the unit they step over.
--
-- source: a driver of the private lists by creation date, as referenceId
-- is (0016's trailing columns, so OFFSET steps over index entries only).
CREATE INDEX reviews_list_source ON reviews(business_unit_id, sku, source,
    created_at, seq, stars, language, reported, status, hidden_reason)
    WHERE pub_seq IS NOT NULL;

-- A tag (group and value) drives a private list from review_tags: each
-- tag row carries what the list's key and order need of its review (its
-- unit, kind, creation date and seq), copied by the triggers below when
-- the tag is made and whenever the review's copy would change, so the
-- walk reads the reviews of that tag alone, in list order. A review's
-- unit, SKU and creation date do not change today; the trigger keeps the
-- copy right if one ever does.
ALTER TABLE review_tags ADD COLUMN business_unit_id TEXT;
ALTER TABLE review_tags ADD COLUMN sku TEXT;
ALTER TABLE review_tags ADD COLUMN created_at INTEGER;
ALTER TABLE review_tags ADD COLUMN review_seq INTEGER;
UPDATE review_tags SET business_unit_id = r.business_unit_id, sku = r.sku,
    created_at = r.created_at, review_seq = r.seq
FROM reviews r WHERE r.id = review_tags.review_id;
CREATE INDEX review_tags_list ON review_tags(business_unit_id, sku,
    tag_group, tag_value, created_at, review_seq);
-- The other tag filters (a group or a value alone, a value in any case)
-- are checked for each review a list walks: by its seq, which every
-- index of the lists holds, so the check reads no review row.
CREATE INDEX review_tags_seq ON review_tags(review_seq, tag_group,
    tag_value);

CREATE TRIGGER review_tags_list_insert AFTER INSERT ON review_tags
BEGIN
	UPDATE review_tags SET (business_unit_id, sku, created_at,
	    review_seq) = (SELECT business_unit_id, sku, created_at, seq
	    FROM reviews WHERE id = NEW.review_id)
	WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER review_tags_list_update AFTER UPDATE OF business_unit_id,
    sku, created_at ON reviews
BEGIN
	UPDATE review_tags SET business_unit_id = NEW.business_unit_id,
	    sku = NEW.sku, created_at = NEW.created_at
	WHERE review_id = NEW.id;
END;
