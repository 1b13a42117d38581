-- The reviewer is mailed on a business's first reply and at most once a
-- day after edits: when the last reply e-mail was queued.
ALTER TABLE reviews ADD COLUMN reply_mailed_at BIGINT;

-- Product links are http(s) only now; a javascript: or data: link stored
-- before is dropped rather than served.
UPDATE products SET link = '' WHERE link != '' AND lower(link) NOT LIKE
    'http://%' AND lower(link) NOT LIKE 'https://%';
UPDATE products SET image_link = '' WHERE image_link != '' AND
    lower(image_link) NOT LIKE 'http://%' AND lower(image_link) NOT LIKE
    'https://%';

-- The public form limits confirmation mail per address and client: a hash
-- of the submitting client's address, kept while it counts (24 hours).
ALTER TABLE reviews ADD COLUMN submitter TEXT;
CREATE INDEX reviews_submitter ON reviews(created_at)
	WHERE submitter IS NOT NULL;

-- An edit of a reply inside the reviewer's day is mailed when the day is
-- over (the text of that moment): when that is due.
ALTER TABLE reviews ADD COLUMN reply_mail_due_at BIGINT;
CREATE INDEX reviews_reply_mail_due ON reviews(reply_mail_due_at)
	WHERE reply_mail_due_at IS NOT NULL;
