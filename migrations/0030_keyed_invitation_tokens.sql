-- An invitation's personal link and unsubscribe tokens, from this
-- migration on, carry the invitation's id (ids_token_keyed): the row is
-- found by its key and the token's hash is compared in these columns,
-- which have no index. token_hash and unsubscribe_hash, with their
-- UNIQUE indexes on random keys (a page written per dispatched
-- invitation each), stay for the links already sent and for the links
-- a business makes itself.
ALTER TABLE invitations ADD COLUMN keyed_token_hash TEXT;
ALTER TABLE invitations ADD COLUMN keyed_unsubscribe_hash TEXT;
