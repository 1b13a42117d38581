-- A business's logo in its invitation e-mails (issue 15): an https URL
-- on its own website, set through PATCH /v1/private/business-units/{id};
-- empty until the business sets one. Only invitation e-mails show it:
-- the business already knows whom it invites, while an image in a mail
-- to an organic reviewer (Find Reviewer, reply) would tell the business's
-- server when and from where that reviewer reads it.
ALTER TABLE business_units ADD COLUMN logo_url TEXT NOT NULL DEFAULT '';
