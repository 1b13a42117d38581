-- The generation of a unit's private lists (issue 13): as 0017's for the
-- public ones, so that rendered private pages can be cached too
-- (src/list_cache.c, keyed by the request's path, which names the unit).
--
-- A private list shows all a public one does, and besides, tags and the
-- Find Reviewer thread: those move private_generation, and a private
-- page is cached at list_generation + private_generation (both only
-- grow, so the sum moves when either does). Its reviews are those 0017
-- follows: every review a list shows was published once (pub_seq). The
-- public generation does not move on tags and threads, so that nobody
-- polling a public list can time a business's private actions.
ALTER TABLE business_units ADD COLUMN private_generation INTEGER NOT NULL
    DEFAULT 0;

-- A tag's unit is its review's, and the row's own once 0023's trigger
-- has filled it in (a new row's is not yet).
CREATE TRIGGER private_generation_tag_insert AFTER INSERT ON review_tags
BEGIN
	UPDATE business_units SET private_generation = private_generation + 1
	WHERE id = NEW.business_unit_id OR id IN (SELECT business_unit_id
	    FROM reviews WHERE id = NEW.review_id);
END;

CREATE TRIGGER private_generation_tag_update AFTER UPDATE ON review_tags
BEGIN
	UPDATE business_units SET private_generation = private_generation + 1
	WHERE id IN (OLD.business_unit_id, NEW.business_unit_id) OR
	    id IN (SELECT business_unit_id FROM reviews
	    WHERE id IN (OLD.review_id, NEW.review_id));
END;

CREATE TRIGGER private_generation_tag_delete AFTER DELETE ON review_tags
BEGIN
	UPDATE business_units SET private_generation = private_generation + 1
	WHERE id = OLD.business_unit_id OR id IN (SELECT business_unit_id
	    FROM reviews WHERE id = OLD.review_id);
END;

CREATE TRIGGER private_generation_thread_insert AFTER INSERT ON
    find_reviewer_requests
BEGIN
	UPDATE business_units SET private_generation = private_generation + 1
	WHERE id = NEW.business_unit_id OR id IN (SELECT business_unit_id
	    FROM reviews WHERE id = NEW.review_id);
END;

CREATE TRIGGER private_generation_thread_update AFTER UPDATE ON
    find_reviewer_requests
BEGIN
	UPDATE business_units SET private_generation = private_generation + 1
	WHERE id IN (OLD.business_unit_id, NEW.business_unit_id) OR
	    id IN (SELECT business_unit_id FROM reviews
	    WHERE id IN (OLD.review_id, NEW.review_id));
END;

CREATE TRIGGER private_generation_thread_delete AFTER DELETE ON
    find_reviewer_requests
BEGIN
	UPDATE business_units SET private_generation = private_generation + 1
	WHERE id = OLD.business_unit_id OR id IN (SELECT business_unit_id
	    FROM reviews WHERE id = OLD.review_id);
END;
