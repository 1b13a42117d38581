-- The transactional outbox (every e-mail and webhook) and webhooks.

CREATE TABLE outbox (
	id			INTEGER PRIMARY KEY,
	public_id		TEXT NOT NULL UNIQUE,	-- Message-ID, webhook-id
	kind			TEXT NOT NULL CHECK (kind IN ('email', 'webhook')),
	business_unit_id	TEXT REFERENCES business_units(id),
	subscription_id		TEXT,			-- webhooks only
	payload			TEXT NOT NULL,		-- JSON
	status			TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
				    ('pending', 'delivering', 'delivered', 'dead')),
	attempts		INTEGER NOT NULL DEFAULT 0,
	next_attempt_at		INTEGER NOT NULL,
	lease_until		INTEGER,
	last_error		TEXT,
	created_at		INTEGER NOT NULL,
	give_up_at		INTEGER NOT NULL,
	delivered_at		INTEGER
);
CREATE INDEX outbox_pending ON outbox(next_attempt_at)
	WHERE status = 'pending';
CREATE INDEX outbox_leased ON outbox(lease_until)
	WHERE status = 'delivering';
CREATE INDEX outbox_status ON outbox(status, kind, id);
CREATE INDEX outbox_subscription ON outbox(subscription_id)
	WHERE subscription_id IS NOT NULL;

CREATE TABLE webhook_subscriptions (
	id			TEXT PRIMARY KEY,
	business_unit_id	TEXT NOT NULL REFERENCES business_units(id),
	url			TEXT NOT NULL,
	events			TEXT NOT NULL,		-- JSON array of names
	secret			TEXT NOT NULL,		-- whsec_<base64 key>
	status			TEXT NOT NULL DEFAULT 'active'
				    CHECK (status IN ('active', 'disabled')),
	disabled_reason		TEXT,
	created_at		INTEGER NOT NULL
);
CREATE INDEX webhook_subscriptions_business_unit
	ON webhook_subscriptions(business_unit_id);

CREATE TABLE webhook_deliveries (
	id			INTEGER PRIMARY KEY,
	business_unit_id	TEXT NOT NULL,
	subscription_id		TEXT NOT NULL,
	event_id		TEXT NOT NULL,		-- outbox.public_id
	event_name		TEXT NOT NULL,
	attempt			INTEGER NOT NULL,
	status_code		INTEGER,		-- NULL: no HTTP answer
	error			TEXT,
	duration_ms		INTEGER NOT NULL,
	created_at		INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_business_unit
	ON webhook_deliveries(business_unit_id, id);
