-- Issue 14 section 5: reviewers edit or delete their own review from a
-- link mailed to them, and a business reply is its own webhook event.

-- The reviewer's edit link: a hash of its token (the token itself is only
-- ever in the reviewer's mail), when it stops working, and when a link
-- was last mailed on request (at most one an hour a review).
ALTER TABLE reviews ADD COLUMN edit_hash TEXT;
ALTER TABLE reviews ADD COLUMN edit_expires_at INTEGER;
ALTER TABLE reviews ADD COLUMN edit_mailed_at INTEGER;
CREATE UNIQUE INDEX reviews_edit_hash ON reviews(edit_hash)
	WHERE edit_hash IS NOT NULL;

-- A review its reviewer deleted: status 'expired' (out of every count and
-- list, as the triggers of 0003 and 0017 already handle), hidden_reason
-- 'deleted by reviewer', title and text gone, and when.
ALTER TABLE reviews ADD COLUMN deleted_at INTEGER;

-- The consumer profile (/v1/consumers/{id}) lists a consumer's named
-- reviews newest first.
CREATE INDEX reviews_consumer_published ON reviews(consumer_id, pub_seq)
	WHERE status = 'published' AND hidden_reason IS NULL AND
	anonymous = 0;

-- What a named review shows as its reviewer's numberOfReviews, and what
-- /v1/consumers/{id} counts: the reviewer's visible reviews that carry
-- their name. review_count (0003) counts anonymous ones too, so beside a
-- named review it would tell that the reviewer wrote anonymous ones.
ALTER TABLE consumers ADD COLUMN named_count INTEGER NOT NULL DEFAULT 0;
UPDATE consumers SET named_count = (SELECT count(*) FROM reviews r
	WHERE r.consumer_id = consumers.id AND r.status = 'published' AND
	r.hidden_reason IS NULL AND r.anonymous = 0);

CREATE TRIGGER reviews_named_count_insert AFTER INSERT ON reviews
WHEN NEW.status = 'published' AND NEW.hidden_reason IS NULL AND
    NEW.anonymous = 0
BEGIN
	UPDATE consumers SET named_count = named_count + 1
	WHERE id = NEW.consumer_id;
END;

CREATE TRIGGER reviews_named_count_update AFTER UPDATE OF status,
    hidden_reason, anonymous ON reviews
BEGIN
	UPDATE consumers SET named_count = named_count
	    - (OLD.status = 'published' AND OLD.hidden_reason IS NULL AND
	    OLD.anonymous = 0)
	    + (NEW.status = 'published' AND NEW.hidden_reason IS NULL AND
	    NEW.anonymous = 0)
	WHERE id = NEW.consumer_id;
END;

-- numberOfReviews now reads named_count: its change moves the lists too.
DROP TRIGGER list_generation_consumer_update;
CREATE TRIGGER list_generation_consumer_update AFTER UPDATE OF id,
    review_count, named_count ON consumers
BEGIN
	UPDATE business_units SET list_generation = list_generation + 1
	WHERE id IN (SELECT business_unit_id FROM reviews
	    WHERE consumer_id IN (OLD.id, NEW.id) AND pub_seq IS NOT NULL);
END;

-- "review-reply-created" became "service-review-reply-created" and
-- "product-review-reply-created": a subscription that listened to the old
-- name listens to both.
UPDATE webhook_subscriptions SET events = (
	SELECT json_group_array(value) FROM (
		SELECT value FROM json_each(webhook_subscriptions.events)
		WHERE value != 'review-reply-created'
		UNION ALL SELECT 'service-review-reply-created'
		UNION ALL SELECT 'product-review-reply-created'))
WHERE EXISTS (SELECT 1 FROM json_each(events)
	WHERE value = 'review-reply-created');
