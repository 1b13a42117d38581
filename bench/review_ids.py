#!/usr/bin/python3
"""The review ids of the list pages on stdin (the JSON bodies of
`curl .../reviews?page=[1-20]`, one after another), one a line: what
bench/reply.lua replies to."""
import json
import sys

dec = json.JSONDecoder()
text, i = sys.stdin.read(), 0
while i < len(text):
    while i < len(text) and text[i].isspace():
        i += 1
    if i == len(text):
        break
    page, i = dec.raw_decode(text, i)
    for r in page["reviews"]:
        print(r["id"])
