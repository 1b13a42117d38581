-- Invitation e-mail rules (issue 11, point 5 and the unsubscribe list).
--
-- The daily sending quota counts the e-mail invitations a business unit
-- created in the last 24 hours (invitations_quota_check); this index lets
-- that count walk only the unit's recent rows. Invitations made by
-- customers through links (link_kind other than email_invitation) send no
-- e-mail and do not count.
CREATE INDEX invitations_quota ON invitations(business_unit_id, created_at)
	WHERE link_kind = 'email_invitation';

-- unsubscribes.address_hash now holds HMAC-SHA256 of the lowercased
-- address under a server secret (settings 'unsubscribe_key', 32 random
-- bytes as hex, made by the daemon on first use), base64: 44 characters.
-- Rows written before hold the bare BLAKE2b hex (64 characters), which a
-- list of likely addresses reverses. SQL cannot compute either, so the
-- daemon re-keys them: each one the first time its address is seen again,
-- and all whose address an invitation of the unit still holds in a pass
-- of the scheduler after start. Rows whose address was erased everywhere
-- keep the old hash (nothing is left to re-key them from) and are still
-- matched, so the opt-out holds.
