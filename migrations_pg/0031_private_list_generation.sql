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
ALTER TABLE business_units ADD COLUMN private_generation BIGINT NOT NULL
    DEFAULT 0;

-- Moves the private generation of the units named, and of the units of
-- the reviews named.
CREATE FUNCTION private_generation_bump(a TEXT, b TEXT, ra TEXT, rb TEXT)
RETURNS void
LANGUAGE sql AS $$
	UPDATE business_units SET private_generation = private_generation + 1
	WHERE id IN (a, b) OR id IN (SELECT business_unit_id FROM reviews
	    WHERE id IN (ra, rb));
$$;

-- A tag and a thread name their review and its unit (a tag's unit is
-- filled in before it is inserted, 0023): one function serves both.
CREATE FUNCTION private_generation_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM private_generation_bump(NEW.business_unit_id, NULL,
		    NEW.review_id, NULL);
	ELSIF TG_OP = 'UPDATE' THEN
		PERFORM private_generation_bump(OLD.business_unit_id,
		    NEW.business_unit_id, OLD.review_id, NEW.review_id);
	ELSE
		PERFORM private_generation_bump(OLD.business_unit_id, NULL,
		    OLD.review_id, NULL);
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER private_generation_tag_insert AFTER INSERT ON review_tags
FOR EACH ROW EXECUTE FUNCTION private_generation_row();
CREATE TRIGGER private_generation_tag_update AFTER UPDATE ON review_tags
FOR EACH ROW EXECUTE FUNCTION private_generation_row();
CREATE TRIGGER private_generation_tag_delete AFTER DELETE ON review_tags
FOR EACH ROW EXECUTE FUNCTION private_generation_row();
CREATE TRIGGER private_generation_thread_insert AFTER INSERT ON
    find_reviewer_requests
FOR EACH ROW EXECUTE FUNCTION private_generation_row();
CREATE TRIGGER private_generation_thread_update AFTER UPDATE ON
    find_reviewer_requests
FOR EACH ROW EXECUTE FUNCTION private_generation_row();
CREATE TRIGGER private_generation_thread_delete AFTER DELETE ON
    find_reviewer_requests
FOR EACH ROW EXECUTE FUNCTION private_generation_row();
