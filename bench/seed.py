#!/usr/bin/python3
"""Seeds a running reviewd with one business and N published reviews
through the public API (submit + confirm), for the load scripts.

usage: seed.py BASE_URL ADMIN_TOKEN REVIEWD_BIN CONFIG N
prints: BUSINESS_ID API_KEY DOMAIN
"""
import json
import re
import subprocess
import sys

import requests

base, admin, binary, config, n = sys.argv[1:6]
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
links, page = [], 1
while True:
    r = s.get("%s/v1/admin/outbox?kind=email&perPage=100&page=%d"
              % (base, page), headers={"Authorization": "Bearer " + admin})
    body = r.json()
    for row in body["outbox"]:
        m = re.search(r"(/review/confirm/[A-Za-z0-9_-]{43})",
                      row["payload"]["text"])
        if m:
            links.append(m.group(1))
    if not body["links"]:
        break
    page += 1
for link in links:
    assert s.get(base + link).status_code == 200
print(bu, app["key"], domain)
