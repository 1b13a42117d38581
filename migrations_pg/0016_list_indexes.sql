-- Indexes for the review lists (reviews_list.c, issue 13). Every list
-- holds reviews published at some point (pub_seq IS NOT NULL) of one unit
-- and one kind (sku IS NULL: service; sku = ?: one product), so each
-- index is partial on pub_seq and starts with (business_unit_id, sku).
-- Then comes what a list statement drives by (one filter's equality),
-- then its order with seq, the last tie-break, so no list sorts. The
-- trailing columns cover what the lists filter on without driving by it
-- (stars, language, reported, visibility, the creation date): a list
-- walks index entries only, and reads the table for the reviews it
-- returns. One index per order; one per filter that is selective and
-- common (stars, language, responded, referenceId) for the default
-- orders by creation date.
CREATE INDEX reviews_list_created ON reviews(business_unit_id, sku,
    created_at, seq, stars, language, reported, status, hidden_reason)
    WHERE pub_seq IS NOT NULL;
CREATE INDEX reviews_list_stars ON reviews(business_unit_id, sku, stars,
    created_at, seq, language, reported, status, hidden_reason)
    WHERE pub_seq IS NOT NULL;
-- stars.asc is stars ascending, then newest first: this one backwards.
CREATE INDEX reviews_list_stars_asc ON reviews(business_unit_id, sku,
    stars DESC, created_at, seq, language, reported, status, hidden_reason)
    WHERE pub_seq IS NOT NULL;
CREATE INDEX reviews_list_language ON reviews(business_unit_id, sku,
    language, created_at, seq, stars, reported, status, hidden_reason)
    WHERE pub_seq IS NOT NULL;
CREATE INDEX reviews_list_responded ON reviews(business_unit_id, sku,
    (reply_text IS NOT NULL), created_at, seq, stars, language, reported,
    status, hidden_reason)
    WHERE pub_seq IS NOT NULL;
CREATE INDEX reviews_list_reference ON reviews(business_unit_id, sku,
    reference_id, created_at, seq)
    WHERE pub_seq IS NOT NULL AND reference_id IS NOT NULL;
-- The cursors: publication order (public lists), creation order (private).
CREATE INDEX reviews_list_pub_seq ON reviews(business_unit_id, sku,
    pub_seq, stars, language, reported, status, hidden_reason, created_at)
    WHERE pub_seq IS NOT NULL;
CREATE INDEX reviews_list_seq ON reviews(business_unit_id, sku, seq,
    stars, language, reported, status, hidden_reason, created_at)
    WHERE pub_seq IS NOT NULL;
-- Every product's reviews of a unit (a private product list without
-- ?sku): the same orders without sku in the key.
CREATE INDEX reviews_list_products_created ON reviews(business_unit_id,
    created_at, seq, stars, language, reported, status, hidden_reason)
    WHERE pub_seq IS NOT NULL AND sku IS NOT NULL;
CREATE INDEX reviews_list_products_stars ON reviews(business_unit_id,
    stars, created_at, seq, language, reported, status, hidden_reason)
    WHERE pub_seq IS NOT NULL AND sku IS NOT NULL;
CREATE INDEX reviews_list_products_stars_asc ON reviews(business_unit_id,
    stars DESC, created_at, seq, language, reported, status, hidden_reason)
    WHERE pub_seq IS NOT NULL AND sku IS NOT NULL;
CREATE INDEX reviews_list_products_seq ON reviews(business_unit_id, seq,
    stars, language, reported, status, hidden_reason, created_at)
    WHERE pub_seq IS NOT NULL AND sku IS NOT NULL;
-- What a page shows of each review: its last report and its Find
-- Reviewer thread, in date order without a sort.
CREATE INDEX reports_review_created ON reports(review_id, created_at);
CREATE INDEX find_reviewer_review_created ON
    find_reviewer_requests(review_id, created_at);
