-- Invitations whose e-mail the outbox gave up before the outbox told its
-- owners of that (invitations_mail_outcome) were left 'sending' for good:
-- they are skipped as undeliverable, with the outbox's last error.
INSERT INTO invitation_events (invitation_id, kind, detail, at)
SELECT i.id, 'undeliverable', coalesce(o.last_error, ''), i.updated_at
FROM invitations i JOIN outbox o ON o.owner = 'invitation:' || i.id
WHERE i.status = 'sending' AND o.status = 'dead';

UPDATE invitations SET status = 'skipped',
    skip_reason = 'undeliverable: ' || coalesce((SELECT o.last_error
    FROM outbox o WHERE o.owner = 'invitation:' || invitations.id AND
    o.status = 'dead' LIMIT 1), '')
WHERE status = 'sending' AND EXISTS (SELECT 1 FROM outbox o WHERE
    o.owner = 'invitation:' || invitations.id AND o.status = 'dead');
