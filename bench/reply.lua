-- wrk: POST a reply to each review in turn, of the ids (one a line) in
-- the file REPLY_IDS names (bench/review_ids.py writes it); a reply
-- replaced is a write as much as a new one
local ids, n = {}, 0
for line in io.lines(os.getenv("REPLY_IDS")) do ids[#ids + 1] = line end
request = function()
	n = n + 1
	return wrk.format("POST", "/v1/private/reviews/" ..
	    ids[n % #ids + 1] .. "/reply", nil,
	    string.format('{"message":"Thank you (%d)"}', n))
end
