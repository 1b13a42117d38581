-- a walk of the public cursor: every answer's nextPageToken is the next
-- request's; the walk starts again after the last page
local token = ""
request = function()
	return wrk.format("GET", wrk.path .. "&pageToken=" .. token)
end
-- the token ends the body, the next-page link is in its first bytes:
-- scanning the whole page in Lua cost wrk 4 times the daemon's CPU
response = function(status, headers, body)
	local t = body:sub(-64):match('"nextPageToken":"(c%d+)"')
	if status ~= 200 or t == nil or
	    not body:sub(1, 512):find('"next%-page"') then
		token = ""
	else
		token = t
	end
end
