-- The duplicate check of an e-mail invitation (invitations.c) compares
-- consumer_email COLLATE NOCASE; invitations_email (0004) has citext's
-- own collation, which that comparison cannot use: each invitation read
-- every row of the table (8 to 25 ms at 20,000 invitations). This index
-- has the collation the statement names (issue 17, h-pgperf);
-- invitations_email stays for the comparisons without it (erasure).
CREATE INDEX invitations_email_nocase ON invitations(business_unit_id,
	(consumer_email COLLATE nocase), created_at);
