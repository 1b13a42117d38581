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
ALTER TABLE business_units ADD COLUMN list_generation BIGINT NOT NULL
    DEFAULT 0;

-- PostgreSQL: each SQLite trigger is a PL/pgSQL function of the same
-- name and a row trigger that runs it.

-- Moves the list generation of the units named.
CREATE FUNCTION list_generation_bump(a TEXT, b TEXT) RETURNS void
LANGUAGE sql AS $$
	UPDATE business_units SET list_generation = list_generation + 1
	WHERE id IN (a, b);
$$;

-- A review that was never published shows in no public list.
CREATE FUNCTION list_generation_review() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM list_generation_bump(NEW.business_unit_id, NULL);
	ELSIF TG_OP = 'UPDATE' THEN
		PERFORM list_generation_bump(OLD.business_unit_id,
		    NEW.business_unit_id);
	ELSE
		PERFORM list_generation_bump(OLD.business_unit_id, NULL);
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER list_generation_review_insert AFTER INSERT ON reviews
FOR EACH ROW WHEN (NEW.pub_seq IS NOT NULL)
EXECUTE FUNCTION list_generation_review();
CREATE TRIGGER list_generation_review_update AFTER UPDATE ON reviews
FOR EACH ROW WHEN (OLD.pub_seq IS NOT NULL OR NEW.pub_seq IS NOT NULL)
EXECUTE FUNCTION list_generation_review();
CREATE TRIGGER list_generation_review_delete AFTER DELETE ON reviews
FOR EACH ROW WHEN (OLD.pub_seq IS NOT NULL)
EXECUTE FUNCTION list_generation_review();

-- The new generation is written by the triggers above, never by these.
CREATE FUNCTION list_generation_unit_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM list_generation_bump(NEW.id, NULL);
	RETURN NULL;
END $$;
CREATE TRIGGER list_generation_unit_update AFTER UPDATE OF domain,
    display_name ON business_units
FOR EACH ROW EXECUTE FUNCTION list_generation_unit_update();

-- numberOfReviews shows beside each of the consumer's reviews in every
-- unit they reviewed (reviews_consumer is the index of this subquery).
CREATE FUNCTION list_generation_consumer_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE business_units SET list_generation = list_generation + 1
	WHERE id IN (SELECT business_unit_id FROM reviews
	    WHERE consumer_id IN (OLD.id, NEW.id) AND pub_seq IS NOT NULL);
	RETURN NULL;
END $$;
CREATE TRIGGER list_generation_consumer_update AFTER UPDATE OF id,
    review_count ON consumers
FOR EACH ROW EXECUTE FUNCTION list_generation_consumer_update();

CREATE FUNCTION list_generation_product() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM list_generation_bump(NEW.business_unit_id, NULL);
	ELSIF TG_OP = 'UPDATE' THEN
		PERFORM list_generation_bump(OLD.business_unit_id,
		    NEW.business_unit_id);
	ELSE
		PERFORM list_generation_bump(OLD.business_unit_id, NULL);
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER list_generation_product_insert AFTER INSERT ON products
FOR EACH ROW EXECUTE FUNCTION list_generation_product();
CREATE TRIGGER list_generation_product_update AFTER UPDATE ON products
FOR EACH ROW EXECUTE FUNCTION list_generation_product();
CREATE TRIGGER list_generation_product_delete AFTER DELETE ON products
FOR EACH ROW EXECUTE FUNCTION list_generation_product();

-- reportData: a review's latest report, whatever unit the row names.
CREATE FUNCTION list_generation_report() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		UPDATE business_units SET list_generation = list_generation + 1
		WHERE id = NEW.business_unit_id OR id IN (SELECT
		    business_unit_id FROM reviews WHERE id = NEW.review_id);
	ELSIF TG_OP = 'UPDATE' THEN
		UPDATE business_units SET list_generation = list_generation + 1
		WHERE id IN (OLD.business_unit_id, NEW.business_unit_id) OR
		    id IN (SELECT business_unit_id FROM reviews
		    WHERE id IN (OLD.review_id, NEW.review_id));
	ELSE
		UPDATE business_units SET list_generation = list_generation + 1
		WHERE id = OLD.business_unit_id OR id IN (SELECT
		    business_unit_id FROM reviews WHERE id = OLD.review_id);
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER list_generation_report_insert AFTER INSERT ON reports
FOR EACH ROW EXECUTE FUNCTION list_generation_report();
CREATE TRIGGER list_generation_report_update AFTER UPDATE ON reports
FOR EACH ROW EXECUTE FUNCTION list_generation_report();
CREATE TRIGGER list_generation_report_delete AFTER DELETE ON reports
FOR EACH ROW EXECUTE FUNCTION list_generation_report();
