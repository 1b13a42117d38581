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
	stars1			INTEGER NOT NULL DEFAULT 0,
	stars2			INTEGER NOT NULL DEFAULT 0,
	stars3			INTEGER NOT NULL DEFAULT 0,
	stars4			INTEGER NOT NULL DEFAULT 0,
	stars5			INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (business_unit_id, sku)
) WITHOUT ROWID;

INSERT INTO product_review_summaries (business_unit_id, sku, stars1,
    stars2, stars3, stars4, stars5)
SELECT business_unit_id, sku, sum(stars = 1), sum(stars = 2),
    sum(stars = 3), sum(stars = 4), sum(stars = 5)
FROM reviews
WHERE sku IS NOT NULL AND status = 'published' AND hidden_reason IS NULL
GROUP BY business_unit_id, sku;

CREATE TRIGGER product_summary_insert AFTER INSERT ON reviews
WHEN NEW.sku IS NOT NULL AND NEW.status = 'published'
    AND NEW.hidden_reason IS NULL
BEGIN
	INSERT INTO product_review_summaries (business_unit_id, sku, stars1,
	    stars2, stars3, stars4, stars5)
	VALUES (NEW.business_unit_id, NEW.sku, NEW.stars = 1, NEW.stars = 2,
	    NEW.stars = 3, NEW.stars = 4, NEW.stars = 5)
	ON CONFLICT (business_unit_id, sku) DO UPDATE SET
	    stars1 = stars1 + excluded.stars1,
	    stars2 = stars2 + excluded.stars2,
	    stars3 = stars3 + excluded.stars3,
	    stars4 = stars4 + excluded.stars4,
	    stars5 = stars5 + excluded.stars5;
END;

CREATE TRIGGER product_summary_update AFTER UPDATE OF status,
    hidden_reason, stars, sku, business_unit_id ON reviews
WHEN OLD.sku IS NOT NULL OR NEW.sku IS NOT NULL
BEGIN
	UPDATE product_review_summaries SET
	    stars1 = stars1 - (OLD.stars = 1),
	    stars2 = stars2 - (OLD.stars = 2),
	    stars3 = stars3 - (OLD.stars = 3),
	    stars4 = stars4 - (OLD.stars = 4),
	    stars5 = stars5 - (OLD.stars = 5)
	WHERE OLD.sku IS NOT NULL AND OLD.status = 'published'
	    AND OLD.hidden_reason IS NULL
	    AND business_unit_id = OLD.business_unit_id AND sku = OLD.sku;
	INSERT INTO product_review_summaries (business_unit_id, sku, stars1,
	    stars2, stars3, stars4, stars5)
	SELECT NEW.business_unit_id, NEW.sku, NEW.stars = 1, NEW.stars = 2,
	    NEW.stars = 3, NEW.stars = 4, NEW.stars = 5
	WHERE NEW.sku IS NOT NULL AND NEW.status = 'published'
	    AND NEW.hidden_reason IS NULL
	ON CONFLICT (business_unit_id, sku) DO UPDATE SET
	    stars1 = stars1 + excluded.stars1,
	    stars2 = stars2 + excluded.stars2,
	    stars3 = stars3 + excluded.stars3,
	    stars4 = stars4 + excluded.stars4,
	    stars5 = stars5 + excluded.stars5;
END;

CREATE TRIGGER product_summary_delete AFTER DELETE ON reviews
WHEN OLD.sku IS NOT NULL AND OLD.status = 'published'
    AND OLD.hidden_reason IS NULL
BEGIN
	UPDATE product_review_summaries SET
	    stars1 = stars1 - (OLD.stars = 1),
	    stars2 = stars2 - (OLD.stars = 2),
	    stars3 = stars3 - (OLD.stars = 3),
	    stars4 = stars4 - (OLD.stars = 4),
	    stars5 = stars5 - (OLD.stars = 5)
	WHERE business_unit_id = OLD.business_unit_id AND sku = OLD.sku;
END;

-- A product review's conversation (Trustpilot's conversations API): the
-- business's comments, in order. The latest comment is also the review's
-- reply (reviews.reply_text), which the public review shows and the
-- reviewer is mailed, as a service review's reply; changing the review
-- row moves the unit's list generation (0017).
CREATE TABLE conversations (
	id			TEXT PRIMARY KEY,
	business_unit_id	TEXT NOT NULL REFERENCES business_units(id),
	review_id		TEXT NOT NULL UNIQUE REFERENCES reviews(id),
	created_at		INTEGER NOT NULL
);
CREATE TABLE conversation_comments (
	id			TEXT PRIMARY KEY,
	conversation_id		TEXT NOT NULL REFERENCES conversations(id),
	author_id		TEXT NOT NULL,
	content			TEXT NOT NULL,
	integration_id		TEXT,
	created_at		INTEGER NOT NULL
);
-- A conversation's comments in the order they came (rowid).
CREATE INDEX conversation_comments_order ON
    conversation_comments(conversation_id);
ALTER TABLE reviews ADD COLUMN conversation_id TEXT;
