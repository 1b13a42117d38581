"""Defaults that work for a newcomer (issue 16): public_url follows listen
when it is not set; the link-keys master key is generated on first start
(a 0600 file beside the database) so that Business Generated Links and
Unique Links work on a fresh install, and kept across restarts; the access
log names the requested path of a 404."""
import json
import os
import re
import socket
import stat

import pytest

from conftest import PG, Business, Daemon, write_ini, wait_for
from test_links import bgl_payload, open_link, unique_query


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_public_url_follows_listen(make_daemon):
    d = make_daemon(start=False)
    port = free_port()
    sections = {
        "server": {"listen": "127.0.0.1:%d" % port, "threads": "2"},
        "database": {"path": str(d.db_path)},
        "mail": {"maildir": str(d.dir / "mail")},
        "admin": {"token": "test-admin-token-0123456789"},
        "log": {"level": "info"},
    }
    write_ini(d.config, sections)
    d.public_url = "http://127.0.0.1:%d" % port
    d.start()
    shop = Business(d, "follow.example.com")
    r = shop.private("GET", "/v1/private/business-units/%s/invitations"
                     % shop.id, params={"perPage": 1})
    assert r.status_code == 200, r.text
    # every link of an answer starts with the listen address
    r = d.admin("GET", "/v1/admin/business-units")
    urls = re.findall(r'"(http://127\.0\.0\.1[^"]*)"', r.text)
    assert urls, r.text
    assert all(u.startswith(d.public_url + "/") for u in urls), urls
    assert "127.0.0.1:8080" not in r.text
    # the CLI reads the same configuration
    proc = d.cli("business", "list")
    assert proc.returncode == 0, proc.stderr
    assert "127.0.0.1:8080" not in proc.stdout
    assert d.public_url + "/" in proc.stdout, proc.stdout


def key_file(d):
    return d.db_path.parent / (d.db_path.name + ".master-key")


@pytest.mark.skipif(PG, reason=(
    "a key generated beside one daemon's database file would be that "
    "daemon's alone: on PostgreSQL [links] master_key is required "
    "(test_postgres.py checks the refusal)"))
def test_master_key_generated_on_first_start(make_daemon):
    d = make_daemon()           # conftest sets no [links] master_key
    path = key_file(d)
    assert path.exists(), os.listdir(d.db_path.parent)
    mode = stat.S_IMODE(path.stat().st_mode)
    assert mode == 0o600, oct(mode)
    key = path.read_text().strip()
    assert len(key) == 44 and key.endswith("=")
    assert key not in d.stderr()

    shop = Business(d, "fresh.example.com")
    base = "/v1/private/business-units/%s/link-keys" % shop.id
    r = shop.private("POST", base)
    assert r.status_code == 201, r.text
    keys = r.json()
    r = shop.private("GET", base)
    assert r.json() == {"configured": True, "masterKeyConfigured": True}

    p = bgl_payload(keys["encryptKey"], keys["authKey"], {
        "email": "fresh@example.com", "name": "Fresh Buyer", "ref": "F-1"})
    r = open_link(shop, "/evaluate-bgl/fresh.example.com?p=" + p)
    assert r.status_code == 303, r.text
    assert "Fresh Buyer" in d.get(r.headers["Location"]).text

    # a restart keeps the key: the stored link keys still unseal
    d.restart()
    assert path.read_text().strip() == key
    p = bgl_payload(keys["encryptKey"], keys["authKey"], {
        "email": "again@example.com", "name": "Again Buyer", "ref": "F-2"})
    r = open_link(shop, "/evaluate-bgl/fresh.example.com?p=" + p)
    assert r.status_code == 303, r.text
    q = unique_query(keys["uniqueLinkSecret"], "u@example.com", "U-1",
                     "Una")
    r = open_link(shop, "/evaluate/fresh.example.com?" + q)
    assert r.status_code == 303, r.text
    assert "generated" not in d.stderr()


def test_configured_master_key_wins(make_daemon):
    import base64
    master = base64.b64encode(b"k" * 32).decode()
    d = make_daemon({"links": {"master_key": master}})
    assert not key_file(d).exists()


def test_no_generated_master_key_when_refused(make_daemon):
    d = make_daemon({"links": {"generate_master_key": "false"}})
    assert not key_file(d).exists()
    shop = Business(d, "nokey.example.com")
    r = shop.private("POST", "/v1/private/business-units/%s/link-keys"
                     % shop.id)
    assert r.status_code == 409, r.text


def test_access_log_names_the_path_of_a_404(daemon):
    r = daemon.get("/no/such/page?x=1")
    assert r.status_code == 404
    # the access line is written once the answer has gone out
    line = wait_for(lambda: ([l for l in daemon.stderr().splitlines()
                              if "status=404" in l] or [None])[-1],
                    what="the access line of the 404")
    assert "path=/no/such/page " in line, line
    assert "(unknown)" not in line


def test_access_log_hides_a_token_in_a_404_path(daemon):
    # a reviewer link cut or mistyped in a mail client still carries its
    # token: the log names the path's shape, never the token
    token = "Zq9xV3mK7pL2sR8tW4yB6nC1dF5gH0jA"
    r = daemon.get("/no/such/%s/x\u00e9" % token)
    assert r.status_code == 404
    line = wait_for(lambda: ([l for l in daemon.stderr().splitlines()
                              if "status=404" in l] or [None])[-1],
                    what="the access line of the 404")
    assert "path=/no/such/*/x%C3%A9 " in line, line
    assert token not in daemon.stderr()
