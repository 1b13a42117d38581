-- The generation of a unit's public lists (issue 13): a number that every
-- change a public list can show moves forward in the transaction that
-- makes the change, so the rendered pages cached in memory
-- (src/list_cache.c) are served only while it stands still. Triggers, not
-- calls in each writer: no write path can forget one.
--
-- What a public list shows (reviews_shape.c's public columns, written by
-- reviews_json.c): the review rows, the unit's domain and display name,
-- the consumer's published review count, the product's fields, and the
-- review's latest report. Tags and the Find Reviewer thread show in
-- private lists only, which are not cached, so they move nothing.
ALTER TABLE business_units ADD COLUMN list_generation INTEGER NOT NULL
    DEFAULT 0;

-- A review that was never published shows in no public list.
CREATE TRIGGER list_generation_review_insert AFTER INSERT ON reviews
WHEN NEW.pub_seq IS NOT NULL
BEGIN
	UPDATE business_units SET list_generation = list_generation + 1
	WHERE id = NEW.business_unit_id;
END;

CREATE TRIGGER list_generation_review_update AFTER UPDATE ON reviews
WHEN OLD.pub_seq IS NOT NULL OR NEW.pub_seq IS NOT NULL
BEGIN
	UPDATE business_units SET list_generation = list_generation + 1
	WHERE id IN (OLD.business_unit_id, NEW.business_unit_id);
END;

CREATE TRIGGER list_generation_review_delete AFTER DELETE ON reviews
WHEN OLD.pub_seq IS NOT NULL
BEGIN
	UPDATE business_units SET list_generation = list_generation + 1
	WHERE id = OLD.business_unit_id;
END;

-- The new generation is written by the triggers above, never by these.
CREATE TRIGGER list_generation_unit_update AFTER UPDATE OF domain,
    display_name ON business_units
BEGIN
	UPDATE business_units SET list_generation = list_generation + 1
	WHERE id = NEW.id;
END;

-- numberOfReviews shows beside each of the consumer's reviews in every
-- unit they reviewed (reviews_consumer is the index of this subquery).
CREATE TRIGGER list_generation_consumer_update AFTER UPDATE OF id,
    review_count ON consumers
BEGIN
	UPDATE business_units SET list_generation = list_generation + 1
	WHERE id IN (SELECT business_unit_id FROM reviews
	    WHERE consumer_id IN (OLD.id, NEW.id) AND pub_seq IS NOT NULL);
END;

CREATE TRIGGER list_generation_product_insert AFTER INSERT ON products
BEGIN
	UPDATE business_units SET list_generation = list_generation + 1
	WHERE id = NEW.business_unit_id;
END;

CREATE TRIGGER list_generation_product_update AFTER UPDATE ON products
BEGIN
	UPDATE business_units SET list_generation = list_generation + 1
	WHERE id IN (OLD.business_unit_id, NEW.business_unit_id);
END;

CREATE TRIGGER list_generation_product_delete AFTER DELETE ON products
BEGIN
	UPDATE business_units SET list_generation = list_generation + 1
	WHERE id = OLD.business_unit_id;
END;

-- reportData: a review's latest report, whatever unit the row names.
CREATE TRIGGER list_generation_report_insert AFTER INSERT ON reports
BEGIN
	UPDATE business_units SET list_generation = list_generation + 1
	WHERE id = NEW.business_unit_id OR id IN (SELECT business_unit_id
	    FROM reviews WHERE id = NEW.review_id);
END;

CREATE TRIGGER list_generation_report_update AFTER UPDATE ON reports
BEGIN
	UPDATE business_units SET list_generation = list_generation + 1
	WHERE id IN (OLD.business_unit_id, NEW.business_unit_id) OR
	    id IN (SELECT business_unit_id FROM reviews
	    WHERE id IN (OLD.review_id, NEW.review_id));
END;

CREATE TRIGGER list_generation_report_delete AFTER DELETE ON reports
BEGIN
	UPDATE business_units SET list_generation = list_generation + 1
	WHERE id = OLD.business_unit_id OR id IN (SELECT business_unit_id
	    FROM reviews WHERE id = OLD.review_id);
END;
