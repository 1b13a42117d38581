-- Consumers (reviewers), the product catalogue, reviews, tags.
-- Review counts per business unit and per consumer are kept by triggers, so
-- no request has to scan reviews to show a score.

CREATE TABLE consumers (
	id			TEXT PRIMARY KEY,
	email			TEXT NOT NULL UNIQUE COLLATE NOCASE,	-- never shown
	display_name		TEXT NOT NULL,
	country			TEXT NOT NULL DEFAULT '',
	review_count		INTEGER NOT NULL DEFAULT 0,	-- published
	created_at		INTEGER NOT NULL
);

CREATE TABLE products (
	id			TEXT PRIMARY KEY,
	business_unit_id	TEXT NOT NULL REFERENCES business_units(id),
	sku			TEXT NOT NULL,
	name			TEXT NOT NULL,
	link			TEXT NOT NULL DEFAULT '',
	image_link		TEXT NOT NULL DEFAULT '',
	gtin			TEXT NOT NULL DEFAULT '',
	mpn			TEXT NOT NULL DEFAULT '',
	brand			TEXT NOT NULL DEFAULT '',
	created_at		INTEGER NOT NULL,
	updated_at		INTEGER NOT NULL,
	UNIQUE (business_unit_id, sku)
);

CREATE TABLE reviews (
	seq			INTEGER PRIMARY KEY,	-- creation order
	id			TEXT NOT NULL UNIQUE,
	business_unit_id	TEXT NOT NULL REFERENCES business_units(id),
	consumer_id		TEXT NOT NULL REFERENCES consumers(id),
	sku			TEXT,			-- NULL: service review
	stars			INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
	title			TEXT NOT NULL,
	text			TEXT NOT NULL,
	language		TEXT NOT NULL,
	experienced_at		INTEGER,
	display_name		TEXT NOT NULL,
	anonymous		INTEGER NOT NULL DEFAULT 0,
	country			TEXT NOT NULL DEFAULT '',
	source			TEXT NOT NULL CHECK (source IN
				    ('organic', 'invitation',
				    'third_party_invitation')),
	link_kind		TEXT,	-- bgl, unique_link, email_invitation
	reference_id		TEXT,
	referral_email		TEXT,	-- invited reviews: given by the business
	status			TEXT NOT NULL CHECK (status IN
				    ('pending', 'published', 'expired')),
	hidden_reason		TEXT,	-- NULL: visible when published
	reported		INTEGER NOT NULL DEFAULT 0,
	reviewer_contacted	INTEGER NOT NULL DEFAULT 0,
	reply_text		TEXT,
	reply_author		TEXT,
	reply_created_at	INTEGER,
	reply_updated_at	INTEGER,
	confirm_hash		TEXT UNIQUE,
	confirm_expires_at	INTEGER,
	pub_seq			INTEGER UNIQUE,	-- publication order: cursor
	created_at		INTEGER NOT NULL,
	updated_at		INTEGER NOT NULL,
	published_at		INTEGER
);
CREATE INDEX reviews_bu_created ON reviews(business_unit_id, created_at);
CREATE INDEX reviews_bu_stars ON reviews(business_unit_id, stars);
CREATE INDEX reviews_bu_updated ON reviews(business_unit_id, updated_at);
CREATE INDEX reviews_bu_sku ON reviews(business_unit_id, sku, created_at);
CREATE INDEX reviews_consumer ON reviews(consumer_id, business_unit_id);
CREATE INDEX reviews_pending ON reviews(confirm_expires_at)
	WHERE status = 'pending';

CREATE TABLE review_tags (
	review_id		TEXT NOT NULL REFERENCES reviews(id),
	tag_group		TEXT NOT NULL,
	tag_value		TEXT NOT NULL,
	PRIMARY KEY (review_id, tag_group, tag_value)
);
CREATE INDEX review_tags_value ON review_tags(tag_group, tag_value);

-- Counts of visible (published, not hidden) service reviews per unit.
CREATE TABLE business_unit_counts (
	business_unit_id	TEXT NOT NULL REFERENCES business_units(id),
	stars			INTEGER NOT NULL,
	n			INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (business_unit_id, stars)
);

CREATE TRIGGER reviews_count_insert AFTER INSERT ON reviews
WHEN NEW.status = 'published' AND NEW.hidden_reason IS NULL
BEGIN
	INSERT INTO business_unit_counts (business_unit_id, stars, n)
	SELECT NEW.business_unit_id, NEW.stars, 1 WHERE NEW.sku IS NULL
	ON CONFLICT (business_unit_id, stars) DO UPDATE SET n = n + 1;
	UPDATE consumers SET review_count = review_count + 1
	WHERE id = NEW.consumer_id;
END;

CREATE TRIGGER reviews_count_update AFTER UPDATE OF status, hidden_reason,
    stars ON reviews
BEGIN
	UPDATE business_unit_counts SET n = n - 1
	WHERE OLD.status = 'published' AND OLD.hidden_reason IS NULL
	    AND OLD.sku IS NULL AND business_unit_id = OLD.business_unit_id
	    AND stars = OLD.stars;
	INSERT INTO business_unit_counts (business_unit_id, stars, n)
	SELECT NEW.business_unit_id, NEW.stars, 1
	WHERE NEW.status = 'published' AND NEW.hidden_reason IS NULL
	    AND NEW.sku IS NULL
	ON CONFLICT (business_unit_id, stars) DO UPDATE SET n = n + 1;
	UPDATE consumers SET review_count = review_count
	    - (OLD.status = 'published' AND OLD.hidden_reason IS NULL)
	    + (NEW.status = 'published' AND NEW.hidden_reason IS NULL)
	WHERE id = NEW.consumer_id;
END;
