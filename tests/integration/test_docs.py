"""docs/api.md and docs/openapi.yaml describe every route the daemon
serves (read from the route table in src/routes.c), and nothing else."""
import re

import yaml

from conftest import ROOT


def routes():
    """(method, pattern) of every entry of the route table."""
    src = (ROOT / "src" / "routes.c").read_text()
    macros = dict(re.findall(r'#define\s+(\w+)\s+"([^"]*)"', src))
    table = src[src.index("const struct route routes_table[]"):]
    table = table[:table.index("};")]
    out = []
    for entry in re.findall(r"\{\s*\"([A-Z]+)\",\s*((?:\w+\s*|\"[^\"]*\"\s*)+),",
                            table):
        method, parts = entry
        path = "".join(macros[p] if not p.startswith('"') else p[1:-1]
                       for p in re.findall(r'"[^"]*"|\w+', parts))
        out.append((method, path))
    return out


def test_the_route_table_is_read():
    found = routes()
    assert len(found) >= 70
    assert ("POST", "/v1/private/reviews/{reviewId}/reply") in found
    assert ("GET", "/healthz") in found


def test_openapi_has_every_route_and_only_those():
    spec = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())
    documented = {(m.upper(), p) for p, ops in spec["paths"].items()
                  for m in ops if m in ("get", "post", "put", "patch",
                                        "delete")}
    served = set(routes())
    assert served - documented == set()
    assert documented - served == set()


def test_api_md_has_a_section_for_every_route():
    text = (ROOT / "docs" / "api.md").read_text()
    headings = set()
    for line in text.splitlines():
        if not line.startswith("#"):
            continue
        # "### GET /a", "### GET, PUT /a", "### GET /a, POST /a"
        for methods, path in re.findall(
                r"((?:(?:GET|POST|PUT|PATCH|DELETE)(?:, )?)+) (/[^\s,]*)",
                line):
            for method in methods.split(", "):
                headings.add((method, path))
    missing = set(routes()) - headings
    assert missing == set()
    assert headings - set(routes()) == set()


def shape(path):
    """A path with every {parameter} alike, for comparing patterns."""
    return re.sub(r"\{[^}]*\}", "{}", path.split("?")[0])


def compatibility_rows():
    """(endpoints, verdict) of each row of api.md's Trustpilot table."""
    text = (ROOT / "docs" / "api.md").read_text()
    section = text[text.index("## Trustpilot compatibility"):]
    end = section.find("\n## ", 10)
    section = section if end == -1 else section[:end]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or not cells[0].startswith("`"):
            continue
        endpoints = re.findall(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`]*)`",
                               cells[0])
        assert endpoints, line
        rows.append((endpoints, cells[1]))
    return rows


def test_the_trustpilot_table_is_true():
    served = {(m, shape(p)) for m, p in routes()}
    rows = compatibility_rows()
    assert len(rows) >= 25
    verdicts = set()
    for endpoints, verdict in rows:
        kind = re.match(r"(same|different|not offered)", verdict)
        assert kind, "row without a verdict: %s" % verdict
        verdicts.add(kind.group(1))
        for method, path in endpoints:
            here = (method, shape(path)) in served
            if kind.group(1) == "not offered":
                assert not here, "%s %s is served" % (method, path)
                assert len(verdict) > len("not offered: "), \
                    "%s %s: not offered, but why?" % (method, path)
            else:
                assert here, "%s %s is not served" % (method, path)
    assert verdicts == {"same", "different", "not offered"}
