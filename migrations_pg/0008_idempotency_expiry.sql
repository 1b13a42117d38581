-- Idempotency keys expire ([invitations] idempotency_hours): the
-- scheduler deletes old ones by age.
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
