-- PostgreSQL twin of migrations/0023_list_shapes.sql (issue 13, goal 2):
-- private lists by source and by tag walk an index in list order. The
-- copy of a review's unit, SKU, creation date and seq on its tags is made
-- by a BEFORE INSERT trigger here (SQLite's updates the new row by rowid).
CREATE INDEX reviews_list_source ON reviews(business_unit_id, sku, source,
    created_at, seq, stars, language, reported, status, hidden_reason)
    WHERE pub_seq IS NOT NULL;

ALTER TABLE review_tags ADD COLUMN business_unit_id TEXT;
ALTER TABLE review_tags ADD COLUMN sku TEXT;
ALTER TABLE review_tags ADD COLUMN created_at BIGINT;
ALTER TABLE review_tags ADD COLUMN review_seq BIGINT;
UPDATE review_tags SET business_unit_id = r.business_unit_id, sku = r.sku,
    created_at = r.created_at, review_seq = r.seq
FROM reviews r WHERE r.id = review_tags.review_id;
CREATE INDEX review_tags_list ON review_tags(business_unit_id, sku,
    tag_group, tag_value, created_at, review_seq);
CREATE INDEX review_tags_seq ON review_tags(review_seq, tag_group,
    tag_value);

CREATE FUNCTION review_tags_list_copy() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	SELECT business_unit_id, sku, created_at, seq
	INTO NEW.business_unit_id, NEW.sku, NEW.created_at, NEW.review_seq
	FROM reviews WHERE id = NEW.review_id;
	RETURN NEW;
END;
$$;

CREATE TRIGGER review_tags_list_insert BEFORE INSERT ON review_tags
FOR EACH ROW EXECUTE FUNCTION review_tags_list_copy();

CREATE FUNCTION review_tags_list_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE review_tags SET business_unit_id = NEW.business_unit_id,
	    sku = NEW.sku, created_at = NEW.created_at
	WHERE review_id = NEW.id;
	RETURN NULL;
END;
$$;

CREATE TRIGGER review_tags_list_update AFTER UPDATE OF business_unit_id,
    sku, created_at ON reviews
FOR EACH ROW EXECUTE FUNCTION review_tags_list_follow();
