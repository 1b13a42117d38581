-- Contact details a business shows on its public profile (issue 14,
-- section 6: GET /v1/business-units/{id}/profileinfo). Set through
-- PATCH /v1/private/business-units/{id}; empty until the business does.
-- notification_email stays private: it is where reviewd writes to the
-- business, not where customers may.
ALTER TABLE business_units ADD COLUMN contact_email TEXT NOT NULL DEFAULT '';
ALTER TABLE business_units ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE business_units ADD COLUMN street TEXT NOT NULL DEFAULT '';
ALTER TABLE business_units ADD COLUMN city TEXT NOT NULL DEFAULT '';
ALTER TABLE business_units ADD COLUMN postcode TEXT NOT NULL DEFAULT '';

-- The public search of units (GET /v1/business-units/search) matches
-- names and domains by substring: a scan of this small table, bounded
-- by the page size; the all list pages in creation order.
CREATE INDEX business_units_created ON business_units(created_at, id);
