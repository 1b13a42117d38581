-- wrk script of the organic-submit line (bench/run.sh, bench/organic.sh):
-- a review through the public form, JSON, each request from its own
-- address (X-Forwarded-For, the daemon trusting 127.0.0.1) and e-mail
local n, counter = 0, 0
function setup(thread)
	counter = counter + 1
	thread:set("tid", counter)
end
request = function()
	n = n + 1
	return wrk.format("POST", nil, {["Content-Type"] = "application/json",
	    ["X-Forwarded-For"] = string.format("10.%d.%d.%d", tid,
	    math.floor(n / 250) % 250, n % 250 + 1)},
	    string.format('{"stars":4,"title":"Organic %d","text":' ..
	    '"Submitted by the bench, %d-%d","name":"Bench %d",' ..
	    '"email":"o%d-%d@example.org"}', n, tid, n, n, tid, n))
end
