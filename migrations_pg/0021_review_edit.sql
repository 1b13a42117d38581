-- Issue 14 section 5: reviewers edit or delete their own review from a
-- link mailed to them, and a business reply is its own webhook event.

-- The reviewer's edit link: a hash of its token (the token itself is only
-- ever in the reviewer's mail), when it stops working, and when a link
-- was last mailed on request (at most one an hour a review).
ALTER TABLE reviews ADD COLUMN edit_hash TEXT;
ALTER TABLE reviews ADD COLUMN edit_expires_at BIGINT;
ALTER TABLE reviews ADD COLUMN edit_mailed_at BIGINT;
CREATE UNIQUE INDEX reviews_edit_hash ON reviews(edit_hash)
	WHERE edit_hash IS NOT NULL;

-- A review its reviewer deleted: status 'expired' (out of every count and
-- list, as the triggers of 0003 and 0017 already handle), hidden_reason
-- 'deleted by reviewer', title and text gone, and when.
ALTER TABLE reviews ADD COLUMN deleted_at BIGINT;

-- The consumer profile (/v1/consumers/{id}) lists a consumer's named
-- reviews newest first.
CREATE INDEX reviews_consumer_published ON reviews(consumer_id, pub_seq)
	WHERE status = 'published' AND hidden_reason IS NULL AND
	anonymous = 0;

-- What a named review shows as its reviewer's numberOfReviews, and what
-- /v1/consumers/{id} counts: the reviewer's visible reviews that carry
-- their name. review_count (0003) counts anonymous ones too, so beside a
-- named review it would tell that the reviewer wrote anonymous ones.
ALTER TABLE consumers ADD COLUMN named_count BIGINT NOT NULL DEFAULT 0;
UPDATE consumers SET named_count = (SELECT count(*) FROM reviews r
	WHERE r.consumer_id = consumers.id AND r.status = 'published' AND
	r.hidden_reason IS NULL AND r.anonymous = 0);

CREATE FUNCTION reviews_named_count() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		UPDATE consumers SET named_count = named_count + 1
		WHERE id = NEW.consumer_id;
	ELSE
		UPDATE consumers SET named_count = named_count
		    - (OLD.status = 'published' AND OLD.hidden_reason IS NULL
		    AND OLD.anonymous = 0)::int
		    + (NEW.status = 'published' AND NEW.hidden_reason IS NULL
		    AND NEW.anonymous = 0)::int
		WHERE id = NEW.consumer_id;
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER reviews_named_count_insert AFTER INSERT ON reviews
FOR EACH ROW WHEN (NEW.status = 'published' AND NEW.hidden_reason IS NULL
    AND NEW.anonymous = 0)
EXECUTE FUNCTION reviews_named_count();
CREATE TRIGGER reviews_named_count_update AFTER UPDATE OF status,
    hidden_reason, anonymous ON reviews
FOR EACH ROW EXECUTE FUNCTION reviews_named_count();

-- numberOfReviews now reads named_count: its change moves the lists too.
DROP TRIGGER list_generation_consumer_update ON consumers;
CREATE TRIGGER list_generation_consumer_update AFTER UPDATE OF id,
    review_count, named_count ON consumers
FOR EACH ROW EXECUTE FUNCTION list_generation_consumer_update();

-- "review-reply-created" became "service-review-reply-created" and
-- "product-review-reply-created": a subscription that listened to the old
-- name listens to both. (events is JSON text, as on SQLite.)
UPDATE webhook_subscriptions SET events = (
	SELECT json_agg(value)::text FROM (
		SELECT value FROM json_array_elements_text(
		    webhook_subscriptions.events::json)
		WHERE value != 'review-reply-created'
		UNION ALL SELECT 'service-review-reply-created'
		UNION ALL SELECT 'product-review-reply-created') AS e)
WHERE EXISTS (SELECT 1 FROM json_array_elements_text(events::json)
	WHERE value = 'review-reply-created');
