-- Product review lists, summaries and conversations (issue 14, sections 2
-- and 3).
--
-- A product list may ask for several SKUs (sku=a,b or a productUrl that
-- several variants share): it walks the unit's product reviews in list
-- order and keeps those of the SKUs asked for, so the indexes of every
-- product's reviews (0016) carry the SKU as a trailing column, and the
-- walk reads no table row for a review it skips. A public list of several
-- SKUs can page by cursor, which walks publication order.
DROP INDEX reviews_list_products_created;
DROP INDEX reviews_list_products_stars;
DROP INDEX reviews_list_products_stars_asc;
DROP INDEX reviews_list_products_seq;
CREATE INDEX reviews_list_products_created ON reviews(business_unit_id,
    created_at, seq, stars, language, reported, status, hidden_reason, sku)
    WHERE pub_seq IS NOT NULL AND sku IS NOT NULL;
CREATE INDEX reviews_list_products_stars ON reviews(business_unit_id,
    stars, created_at, seq, language, reported, status, hidden_reason, sku)
    WHERE pub_seq IS NOT NULL AND sku IS NOT NULL;
CREATE INDEX reviews_list_products_stars_asc ON reviews(business_unit_id,
    stars DESC, created_at, seq, language, reported, status, hidden_reason,
    sku)
    WHERE pub_seq IS NOT NULL AND sku IS NOT NULL;
CREATE INDEX reviews_list_products_seq ON reviews(business_unit_id, seq,
    stars, language, reported, status, hidden_reason, created_at, sku)
    WHERE pub_seq IS NOT NULL AND sku IS NOT NULL;
CREATE INDEX reviews_list_products_pub_seq ON reviews(business_unit_id,
    pub_seq, stars, language, reported, status, hidden_reason, created_at,
    sku)
    WHERE pub_seq IS NOT NULL AND sku IS NOT NULL;

-- productUrl names the products of a unit by their link.
CREATE INDEX products_link ON products(business_unit_id, link);

-- The summary of each product's visible reviews (published, not hidden),
-- as business_unit_counts is the unit's: kept by triggers in the
-- transaction of every change, so no request counts reviews.
CREATE TABLE product_review_summaries (
	business_unit_id	TEXT NOT NULL REFERENCES business_units(id),
	sku			TEXT NOT NULL,
	stars1			BIGINT NOT NULL DEFAULT 0,
	stars2			BIGINT NOT NULL DEFAULT 0,
	stars3			BIGINT NOT NULL DEFAULT 0,
	stars4			BIGINT NOT NULL DEFAULT 0,
	stars5			BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (business_unit_id, sku)
);

INSERT INTO product_review_summaries (business_unit_id, sku, stars1,
    stars2, stars3, stars4, stars5)
SELECT business_unit_id, sku, sum((stars = 1)::int),
    sum((stars = 2)::int), sum((stars = 3)::int), sum((stars = 4)::int),
    sum((stars = 5)::int)
FROM reviews
WHERE sku IS NOT NULL AND status = 'published' AND hidden_reason IS NULL
GROUP BY business_unit_id, sku;

CREATE FUNCTION product_summary_add(bu TEXT, k TEXT, n BIGINT, d BIGINT)
RETURNS void LANGUAGE sql AS $$
	INSERT INTO product_review_summaries AS p (business_unit_id, sku,
	    stars1, stars2, stars3, stars4, stars5)
	VALUES (bu, k, (n = 1)::int * d, (n = 2)::int * d, (n = 3)::int * d,
	    (n = 4)::int * d, (n = 5)::int * d)
	ON CONFLICT (business_unit_id, sku) DO UPDATE SET
	    stars1 = p.stars1 + excluded.stars1,
	    stars2 = p.stars2 + excluded.stars2,
	    stars3 = p.stars3 + excluded.stars3,
	    stars4 = p.stars4 + excluded.stars4,
	    stars5 = p.stars5 + excluded.stars5;
$$;

-- A removal only updates a row that exists, as SQLite's UPDATE did.
CREATE FUNCTION product_summary_remove(bu TEXT, k TEXT, n BIGINT)
RETURNS void LANGUAGE sql AS $$
	UPDATE product_review_summaries SET
	    stars1 = stars1 - (n = 1)::int,
	    stars2 = stars2 - (n = 2)::int,
	    stars3 = stars3 - (n = 3)::int,
	    stars4 = stars4 - (n = 4)::int,
	    stars5 = stars5 - (n = 5)::int
	WHERE business_unit_id = bu AND sku = k;
$$;

CREATE FUNCTION product_summary() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.sku IS NOT NULL AND
	    OLD.status = 'published' AND OLD.hidden_reason IS NULL THEN
		PERFORM product_summary_remove(OLD.business_unit_id, OLD.sku,
		    OLD.stars);
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.sku IS NOT NULL AND
	    NEW.status = 'published' AND NEW.hidden_reason IS NULL THEN
		PERFORM product_summary_add(NEW.business_unit_id, NEW.sku,
		    NEW.stars, 1);
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER product_summary_insert AFTER INSERT ON reviews
FOR EACH ROW WHEN (NEW.sku IS NOT NULL AND NEW.status = 'published'
    AND NEW.hidden_reason IS NULL)
EXECUTE FUNCTION product_summary();
CREATE TRIGGER product_summary_update AFTER UPDATE OF status,
    hidden_reason, stars, sku, business_unit_id ON reviews
FOR EACH ROW WHEN (OLD.sku IS NOT NULL OR NEW.sku IS NOT NULL)
EXECUTE FUNCTION product_summary();
CREATE TRIGGER product_summary_delete AFTER DELETE ON reviews
FOR EACH ROW WHEN (OLD.sku IS NOT NULL AND OLD.status = 'published'
    AND OLD.hidden_reason IS NULL)
EXECUTE FUNCTION product_summary();

-- A product review's conversation (Trustpilot's conversations API): the
-- business's comments, in order. The latest comment is also the review's
-- reply (reviews.reply_text), which the public review shows and the
-- reviewer is mailed, as a service review's reply; changing the review
-- row moves the unit's list generation (0017).
CREATE TABLE conversations (
	id			TEXT PRIMARY KEY,
	business_unit_id	TEXT NOT NULL REFERENCES business_units(id),
	review_id		TEXT NOT NULL UNIQUE REFERENCES reviews(id),
	created_at		BIGINT NOT NULL
);
CREATE TABLE conversation_comments (
	id			TEXT PRIMARY KEY,
	conversation_id		TEXT NOT NULL REFERENCES conversations(id),
	author_id		TEXT NOT NULL,
	content			TEXT NOT NULL,
	integration_id		TEXT,
	created_at		BIGINT NOT NULL
);
-- A conversation's comments in the order they came (SQLite's rowid;
-- here an identity column, which the statements do not name yet).
ALTER TABLE conversation_comments ADD COLUMN seq BIGINT GENERATED BY
    DEFAULT AS IDENTITY;
CREATE INDEX conversation_comments_order ON
    conversation_comments(conversation_id, seq);
ALTER TABLE reviews ADD COLUMN conversation_id TEXT;
