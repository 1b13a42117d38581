-- [ratelimit] across daemons (see migrations/0028): each daemon adds what
-- its clients spent about once a second and reads back the sum.
CREATE TABLE rate_limit_debts (
	key		TEXT PRIMARY KEY,
	debt		BIGINT NOT NULL,
	per_minute	BIGINT NOT NULL,
	updated_ms	BIGINT NOT NULL
);
