#!/usr/bin/python3
"""Seeds a running reviewd with one business and N published reviews
through the public API (submit + confirm), for the load scripts.

usage: seed.py BASE_URL ADMIN_TOKEN REVIEWD_BIN CONFIG N MAILDIR
prints: BUSINESS_ID API_KEY DOMAIN
"""
import json
import os
import re
import subprocess
import sys
import time

import requests

base, admin, binary, config, n, maildir = sys.argv[1:7]
n = int(n)
s = requests.Session()
domain = "bench.example.com"
out = subprocess.run([binary, "--config", config, "business", "create",
                      "--name", "Bench Shop", "--domain", domain],
                     capture_output=True, text=True, check=True).stdout
bu = json.loads(out)["id"]
app = json.loads(subprocess.run([binary, "--config", config, "app", "create",
                                 "--business", bu], capture_output=True,
                                text=True, check=True).stdout)
for i in range(n):
    r = s.post("%s/review/%s" % (base, domain), json={
        "stars": i % 5 + 1, "title": "Review number %d" % i,
        "text": "Bench text " * 20, "name": "Person %d" % i,
        "email": "bench%d@example.com" % i, "language": "en"})
    assert r.status_code == 202, r.text
# the confirmation links, from the delivered e-mails in the maildir
links, deadline = set(), time.time() + 120
while len(links) < n and time.time() < deadline:
    for name in os.listdir(os.path.join(maildir, "new")):
        with open(os.path.join(maildir, "new", name), "rb") as f:
            text = f.read().decode(errors="replace")
        import base64
        for part in re.findall(r"\r\n\r\n([A-Za-z0-9+/=\r\n]+?)\r\n--",
                               text):
            body = base64.b64decode(part.replace("\r\n", "")).decode()
            m = re.search(r"(/review/confirm/[A-Za-z0-9_-]{43})", body)
            if m:
                links.add(m.group(1))
    time.sleep(0.2)
# the link only asks (mail scanners follow links); the button is a POST
for link in links:
    assert s.post(base + link).status_code == 200
print(bu, app["key"], domain)
