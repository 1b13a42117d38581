-- An AFS inbound address is a credential: whoever knows it can queue
-- invitations for the unit. Only a hash of its token is kept (to find the
-- unit), and, when [links] master_key is set, the token sealed with it (to
-- show the address again in the settings). SQLite has no BLAKE2b, so the
-- clear tokens of existing rows are converted by the daemon right after the
-- migrations (afs_upgrade): until then a 40-character token_hash is a clear
-- token, a converted one has 64.
ALTER TABLE afs_settings RENAME COLUMN token TO token_hash;
ALTER TABLE afs_settings ADD COLUMN token_sealed TEXT;
