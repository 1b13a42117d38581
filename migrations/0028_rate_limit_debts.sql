-- [ratelimit] across daemons on one PostgreSQL database (issue 17): what
-- the clients of each bucket have spent, summed over every daemon, as a
-- debt in millionths of a request that drains at per_minute/60 a second.
-- key is a keyed hash of the bucket's key (an application id or a client
-- address): no address is stored. Rows idle a minute are deleted. One
-- SQLite daemon keeps its buckets in memory and leaves the table empty.
CREATE TABLE rate_limit_debts (
	key		TEXT PRIMARY KEY,
	debt		INTEGER NOT NULL,
	per_minute	INTEGER NOT NULL,
	updated_ms	INTEGER NOT NULL
);
