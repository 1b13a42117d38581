#!/usr/bin/python3
"""Fills a reviewd database with N published reviews over B business units,
for the 1 M bench (issue 13), in well under a minute.

usage: bench/seed_db.py DB [REVIEWS] [UNITS] [TENANTS] > seed.json
       bench/seed_db.py --check DB SEED_JSON BASE_URL [WALK_UNITS]
(after make all; REVIEWD_BIN picks another binary, SEED picks another
random seed; defaults 1000000 reviews, 100 units, 3 tenants)

The database is made by the daemon itself: `reviewd migrate`, then the
daemon runs on a port of its own while the business units are created
through its admin API, and TENANTS of them (the first ones) get an API
application and a business user through the CLI, so the bench can ask for
tokens. The daemon is stopped, and the bulk rows (consumers, products,
reviews, tags) go in through SQL: in one transaction, with the triggers
of reviews, review_tags and consumers and all their secondary indexes
dropped and the journal off while the rows go in; then the indexes and the
triggers are made again from their own text in sqlite_master, and what the
triggers keep (business_unit_counts, product_review_summaries,
consumers.review_count and named_count, review_tags' copy of the review's
columns) is computed in one statement each with the triggers' own
conditions. The database ends in WAL mode, as the daemon leaves it. No
ANALYZE: the daemon never runs one.

What the rows look like: unit of review i = i % UNITS (the units' reviews
interleave in time over three years up to now); seq = pub_seq = i + 1 in
creation and publication order; every star value and at least two
languages in each unit (en, de, fr, es, nl, it; skewed like real
platforms); a third with a company reply; about 60 % invited (most by
e-mail invitation, with a referenceId and the referral e-mail), 2 % third
party, the rest organic; 10 % product reviews over 20 SKUs per unit (with
their products); 10 % carry a tag, some two. Every review is published and
visible; no consumer reviews one unit twice (the daemon's duplicate rule).

Prints JSON: the units (ids and domains), the tenants (unit, key, secret,
username, password), the SKUs, tags and languages used, a referenceId,
the time range, and the seconds each phase took.

--check compares what the running daemon (BASE_URL, started on DB) shows
with SELECT count(*) on the rows: the public summary of every unit (total
and each star), the private summary of each tenant, consumers'
review_count and named_count, review_tags' copied columns,
business_unit_counts, product_review_summaries, the foreign keys; and
walks the public cursor list of the first WALK_UNITS units (default 1) to
its end, plus one SKU's public product list, counting what it returns.
Exit 1 on any difference.
"""
import json
import os
import pathlib
import random
import shutil
import sqlite3
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
os.environ.setdefault("REVIEWD_BIN", str(ROOT / "build" / "reviewd"))
sys.path.insert(0, str(ROOT / "tests" / "integration"))
import requests  # noqa: E402

from conftest import Business, Daemon  # noqa: E402

YEARS_MS = 3 * 365 * 86400 * 1000
SKUS_PER_UNIT = 20
PASSWORD = "bench password 1234"
LANGUAGES = ["en", "de", "fr", "es", "nl", "it"]
LANGUAGE_WEIGHTS = [55, 15, 10, 8, 6, 6]
COUNTRY = {"en": "GB", "de": "DE", "fr": "FR", "es": "ES", "nl": "NL",
           "it": "IT"}
STAR_WEIGHTS = [12, 6, 9, 20, 53]
TAGS = [("generic", "campaign-spring"), ("generic", "vip"),
        ("generic", "follow-up"), ("channel", "newsletter"),
        ("channel", "checkout")]
FIRST = ("Anna Ben Carla David Emma Finn Greta Hugo Ines Jonas Klara Luca "
         "Marta Noah Olga Paul Rosa Sam Tara Umar Vera Wim Xenia Yusuf "
         "Zoe Alba Bruno Chloe Dario Elif Felix Gina Hanna Ivan Julia Karl "
         "Lea Milo Nora Oscar").split()
SENTENCES = {
    "en": ["The parcel arrived two days earlier than promised.",
           "Customer service answered my question within the hour.",
           "The size was right and the fabric feels solid.",
           "Ordering was easy and the tracking link worked.",
           "I had to send one item back, the refund came quickly.",
           "Packaging was a bit excessive but everything was intact.",
           "Prices are fair compared with the shops in town.",
           "Delivery took longer than the website said.",
           "Would order again, a smooth experience from start to end.",
           "The colour looks slightly different from the photos."],
    "de": ["Das Paket kam zwei Tage früher als angekündigt.",
           "Der Kundenservice hat schnell und freundlich geantwortet.",
           "Die Größe passt und die Qualität ist gut.",
           "Die Bestellung war einfach, die Sendungsverfolgung klappte.",
           "Eine Rücksendung wurde zügig erstattet.",
           "Die Lieferung dauerte länger als angegeben."],
    "fr": ["Le colis est arrivé deux jours plus tôt que prévu.",
           "Le service client a répondu très rapidement.",
           "La taille convient et la qualité est au rendez-vous.",
           "La livraison a pris plus de temps que prévu.",
           "Je recommanderai sans hésiter."],
    "es": ["El paquete llegó dos días antes de lo previsto.",
           "El servicio de atención respondió enseguida.",
           "La talla es correcta y la calidad es buena.",
           "La entrega tardó más de lo indicado."],
    "nl": ["Het pakket kwam twee dagen eerder dan beloofd.",
           "De klantenservice reageerde snel en vriendelijk.",
           "De maat klopt en de kwaliteit is prima.",
           "De levering duurde langer dan aangegeven."],
    "it": ["Il pacco è arrivato due giorni prima del previsto.",
           "Il servizio clienti ha risposto subito.",
           "La taglia è giusta e la qualità è buona.",
           "La consegna ha richiesto più tempo del previsto."],
}
TITLES = {
    "en": ["Great service", "Fast delivery", "Good value", "Not bad",
           "Could be better", "Disappointed", "Excellent shop",
           "Will order again"],
    "de": ["Toller Service", "Schnelle Lieferung", "Gutes Preis-Leistungs-"
           "Verhältnis", "Enttäuscht", "Gerne wieder"],
    "fr": ["Très bon service", "Livraison rapide", "Déçu", "Parfait"],
    "es": ["Muy buen servicio", "Entrega rápida", "Decepcionado"],
    "nl": ["Prima service", "Snelle levering", "Teleurgesteld"],
    "it": ["Ottimo servizio", "Consegna veloce", "Deluso"],
}
REPLIES = ["Thank you for your review, we are glad it went well.",
           "Thanks for the feedback. We have passed it on to the team "
           "responsible for deliveries and will do better next time.",
           "We are sorry to read this. Please contact us with your order "
           "number so that we can sort it out."]

# The trigger's conditions, for the counts computed after the rows.
VISIBLE = "status = 'published' AND hidden_reason IS NULL"
# a product's summary: its visible reviews of each star value
STARS_SUMS = ", ".join("sum(stars = %d)" % k for k in range(1, 6))
# Bijections of a row number onto 48 bits (odd multipliers modulo 2**48):
# ids that look like the daemon's random ones, distinct by construction.
M48 = 1 << 48
HEX_ID = "printf('%%012x%%012x', (%s * 2654435761) %% {m}, ((%s + 7) * " \
    "2246822519 + 3266489917) %% {m})".replace("{m}", str(M48))
P = 2147483647	# prime: the per-row choices below are (x * A + B) % P
# Every review, from the row number i alone (bound: :n :b :nc :mult :start
# :step :delay :now). h1..h5: five independent picks in [0, P / 1024).
REVIEWS_SELECT = """
WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g
    WHERE i < :n - 1),
r AS (SELECT i, i %% :b AS u, i / :b AS k, (i * :mult) %% :nc AS c,
    :start + i * :step AS created,
    (i * 1583458089 + 11) %% {P} / 1024 AS h1,
    (i * 1222233463 + 29) %% {P} / 1024 AS h2,
    (i * 1864977421 + 31) %% {P} / 1024 AS h3,
    (i * 1103515245 + 37) %% {P} / 1024 AS h4,
    (i * 2021368553 + 41) %% {P} / 1024 AS h5 FROM g),
s AS (SELECT *,
    CASE WHEN k < 5 THEN k + 1 ELSE CASE WHEN h1 %% 100 < 12 THEN 1
      WHEN h1 %% 100 < 18 THEN 2 WHEN h1 %% 100 < 27 THEN 3
      WHEN h1 %% 100 < 47 THEN 4 ELSE 5 END END AS stars,
    CASE WHEN k < 5 THEN k %% 2 ELSE CASE WHEN h2 %% 100 < 55 THEN 0
      WHEN h2 %% 100 < 70 THEN 1 WHEN h2 %% 100 < 80 THEN 2
      WHEN h2 %% 100 < 88 THEN 3 WHEN h2 %% 100 < 94 THEN 4 ELSE 5 END
      END AS li,
    CASE WHEN k >= 5 AND h3 %% 10 = 0 THEN printf('SKU-%%03d',
      (h3 / 10) %% {SKUS}) END AS sku,
    h4 %% 100 AS roll, h5 %% 3 = 0 AS replied FROM r),
t AS (SELECT *,
    CASE WHEN sku IS NULL AND roll < 38 THEN 'organic'
      WHEN roll BETWEEN 38 AND 39 THEN 'third_party_invitation'
      ELSE 'invitation' END AS source,
    created + CASE WHEN sku IS NULL AND roll < 38 THEN :delay ELSE 0 END
      AS published FROM s)
INSERT INTO reviews (seq, id, business_unit_id, consumer_id, sku, stars,
    title, text, language, experienced_at, display_name, anonymous,
    country, source, link_kind, reference_id, referral_email, status,
    reply_text, reply_author, reply_created_at, reply_updated_at,
    reply_mailed_at, pub_seq, created_at, updated_at, published_at)
SELECT i + 1, {RID}, (SELECT id FROM seed_units WHERE u = t.u), {CID},
    sku, stars,
    (SELECT v FROM seed_titles WHERE k = li * 8 + h1 / 100 %% 8),
    (SELECT v FROM seed_texts WHERE k = li * 64 + h2 / 100 %% 64),
    substr('endefresnlit', li * 2 + 1, 2),
    CASE WHEN source = 'organic' AND h5 / 3 %% 2 = 0 THEN NULL
      ELSE created - h3 * 1024 %% (14 * 86400000) END,
    (SELECT v FROM seed_names WHERE k = c %% {NAMES}),
    h4 / 100 %% 50 = 0, substr('GBDEFRESNLIT', li * 2 + 1, 2), source,
    CASE WHEN source != 'invitation' THEN NULL
      WHEN h5 / 6 %% 10 = 1 THEN 'unique_link'
      WHEN h5 / 6 %% 10 = 2 THEN 'bgl'
      ELSE 'email_invitation' END,
    CASE WHEN source != 'organic' THEN printf('ORD-%%08d', i) END,
    CASE WHEN source = 'invitation' THEN
      'reviewer' || c || '@example.net' END,
    'published',
    CASE WHEN replied THEN (SELECT v FROM seed_replies WHERE
      k = h5 / 60 %% 3) END,
    CASE WHEN replied THEN 'Customer Service' END,
    CASE WHEN replied THEN min(published + 86400000, :now) END,
    CASE WHEN replied THEN min(published + 86400000, :now) END,
    CASE WHEN replied THEN min(published + 86400000, :now) END,
    i + 1, created,
    CASE WHEN replied THEN min(published + 86400000, :now)
      ELSE published END, published
FROM t
"""
# Consumers from their row numbers alone, without reading the reviews:
# review i is consumer c = i * mult % nc's, so c's reviews are i = r, r + nc,
# r + 2 nc (below n; n < 3 nc) with r = c * mult^-1 % nc (bound :inv), and
# every seeded review is visible (--check says so): review_count is how
# many there are, named_count those not anonymous (the reviews' own h4
# rule), created_at the first one's.
CONSUMERS_SELECT = """
WITH RECURSIVE g(c) AS (SELECT 0 UNION ALL SELECT c + 1 FROM g
    WHERE c < :nc - 1),
j(j) AS (VALUES (0), (1), (2)),
x AS (SELECT c, c * :inv %% :nc AS r FROM g)
INSERT INTO consumers (id, email, display_name, country, review_count,
    named_count, created_at)
SELECT {CID}, 'reviewer' || c || '@example.net',
    (SELECT v FROM seed_names WHERE k = c %% {NAMES}),
    substr('GBDEFRESNLIT', c %% 6 * 2 + 1, 2),
    (SELECT count(*) FROM j WHERE r + j * :nc < :n),
    (SELECT count(*) FROM j WHERE r + j * :nc < :n AND
      ((r + j * :nc) * 1103515245 + 37) %% {P} / 1024 / 100 %% 50 != 0),
    :start + r * :step
FROM x WHERE r < :n
"""
# Tags with the review's columns that review_tags_list_insert copies (its
# trigger is dropped while they go in).
TAGS_SELECT = """
INSERT INTO review_tags (review_id, tag_group, tag_value, business_unit_id,
    sku, created_at, review_seq)
SELECT r.id, t.grp, t.val, r.business_unit_id, r.sku, r.created_at, r.seq
FROM reviews r JOIN seed_tags t
  ON t.k = (r.seq * 1769472037 + 43) %% {P} / 10240 %% {NTAGS}
WHERE (r.seq * 1769472037 + 43) %% {P} / 1024 %% 10 = 0
UNION ALL
SELECT r.id, t.grp, t.val, r.business_unit_id, r.sku, r.created_at, r.seq
FROM reviews r JOIN seed_tags t
  ON t.k = ((r.seq * 1769472037 + 43) %% {P} / 10240 + 1) %% {NTAGS}
WHERE (r.seq * 1769472037 + 43) %% {P} / 1024 %% 30 = 0
"""


def sql(text):
    return (text.replace("{RID}", HEX_ID % ("i", "i"))
            .replace("{CID}", HEX_ID % ("c", "c"))
            .replace("{P}", str(P)).replace("{SKUS}", str(SKUS_PER_UNIT))
            .replace("{NAMES}", "997").replace("{NTAGS}", str(len(TAGS)))
            .replace("{VISIBLE}", VISIBLE).replace("%%", "%"))


def log(msg):
    print("seed_db: " + msg, file=sys.stderr, flush=True)


def hex_id(i, salt):
    """24 lowercase hex, distinct for distinct i < 2**96 (odd multiplier
    modulo 2**96), random-looking like the daemon's ids."""
    return "%024x" % (((i + salt) * 0x9E3779B97F4A7C15F39CC061) &
                      ((1 << 96) - 1))


class Lap:
    """Wall and CPU seconds of each phase (the machine is shared: CPU
    seconds say what the seeder costs, wall what it took)."""

    def __init__(self):
        self.t = {}
        self.start()

    def start(self):
        self.wall, self.cpu = time.monotonic(), time.process_time()

    def __call__(self, name):
        self.t[name] = [round(time.monotonic() - self.wall, 2),
                        round(time.process_time() - self.cpu, 2)]
        self.start()


def coprime_near(n, target):
    import math
    c = max(target, 1)
    while math.gcd(c, n) != 1:
        c += 1
    return c


def make_texts(rng):
    """Texts per language of 1 to 9 sentences (60 to 600 characters)."""
    out = {}
    for lang, sentences in SENTENCES.items():
        out[lang] = [" ".join(rng.choice(sentences) for _ in
                              range(rng.randint(1, 9))) for _ in range(64)]
    return out


def create_units(db, units, tenants):
    """Units through the admin API of a daemon of their own, tenants'
    applications and users through the CLI (conftest.Business)."""
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="seed_db."))
    d = Daemon(tmp, {"database": {"path": str(db)},
                     "log": {"level": "info"}})
    proc = d.cli("migrate")
    if proc.returncode != 0:
        sys.exit("seed_db: migrate failed: " + proc.stderr)
    con = sqlite3.connect(db)
    if con.execute("SELECT count(*) FROM reviews").fetchone()[0] or \
            con.execute("SELECT count(*) FROM business_units").fetchone()[0]:
        sys.exit("seed_db: %s already holds business units or reviews: "
                 "give a new file" % db)
    con.close()
    out_tenants = []
    for k in range(tenants):
        b = Business(d, "tenant%d.bench.example" % k)
        out_tenants.append({"unit": b.id, "domain": b.unit["name"][
            "identifying"], "key": b.key, "secret": b.secret,
            "username": b.username, "password": b.password})
    d.start()
    ids = [t["unit"] for t in out_tenants]
    domains = [t["domain"] for t in out_tenants]
    try:
        for k in range(tenants, units):
            domain = "shop%d.bench.example" % k
            r = d.admin("POST", "/v1/admin/business-units", json={
                "name": "Bench Shop %d" % k, "domain": domain})
            if r.status_code != 201:
                sys.exit("seed_db: unit create: %d %s" % (r.status_code,
                                                         r.text))
            ids.append(r.json()["id"])
            domains.append(domain)
    finally:
        rc = d.stop()
    if rc != 0:
        sys.exit("seed_db: the daemon exited %s:\n%s" % (rc, d.stderr()))
    shutil.rmtree(tmp, ignore_errors=True)
    return ids, domains, out_tenants


def saved_schema(con, kinds, tables):
    rows = con.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE type IN (%s) AND "
        "tbl_name IN (%s) AND sql IS NOT NULL" % (
            ",".join("?" * len(kinds)), ",".join("?" * len(tables))),
        list(kinds) + list(tables)).fetchall()
    return rows


def bulk(db, ids, n, seed):
    rng = random.Random(seed)
    b = len(ids)
    now = int(time.time() * 1000)
    start = now - YEARS_MS
    step = max(YEARS_MS // max(n, 1), 2)
    # more than n / 3 consumers: CONSUMERS_SELECT counts three at most
    n_consumers = coprime_near(b, max(n // 2, n // 3 + 1, b))
    lap = Lap()
    mult = coprime_near(n_consumers, n_consumers // 2 + 7919)
    par = {"n": n, "b": b, "nc": n_consumers, "mult": mult,
           "inv": pow(mult, -1, n_consumers),
           "start": start, "step": step,
           "delay": min(step // 2, 600000), "now": now}

    con = sqlite3.connect(db, isolation_level=None)
    # temp_store FILE: with MEMORY SQLite's sorter uses no helper threads
    for pragma in ("journal_mode=OFF", "synchronous=OFF",
                   "cache_size=-262144", "temp_store=FILE",
                   "foreign_keys=OFF", "threads=4",
                   "mmap_size=8589934592"):
        con.execute("PRAGMA " + pragma)
    triggers = saved_schema(con, ["trigger"], ["reviews", "review_tags",
                                               "consumers"])
    # all of them, the partial ones too: the list indexes are partial
    # (pub_seq IS NOT NULL) and every seeded row enters them; made again
    # after the rows, an index is one sort instead of a B-tree insert a row
    indexes = saved_schema(con, ["index"], [
        "reviews", "review_tags", "consumers", "products"])
    con.execute("BEGIN")
    for _, name, _ in triggers:
        con.execute('DROP TRIGGER "%s"' % name)
    for _, name, _ in indexes:
        con.execute('DROP INDEX "%s"' % name)
    # pools the statements pick from
    con.execute("CREATE TEMP TABLE seed_units (u INTEGER PRIMARY KEY, id)")
    con.executemany("INSERT INTO seed_units VALUES (?, ?)", enumerate(ids))
    for table, rows in (
            ("seed_texts", [" ".join(rng.choice(SENTENCES[lang]) for _ in
                                     range(rng.randint(1, 9)))
                            for lang in LANGUAGES for _ in range(64)]),
            ("seed_titles", [TITLES[lang][j % len(TITLES[lang])]
                             for lang in LANGUAGES for j in range(8)]),
            ("seed_names", ["%s %s." % (rng.choice(FIRST), chr(65 + j % 26))
                            for j in range(997)]),
            ("seed_replies", REPLIES)):
        con.execute("CREATE TEMP TABLE %s (k INTEGER PRIMARY KEY, v)" %
                    table)
        con.executemany("INSERT INTO %s VALUES (?, ?)" % table,
                        enumerate(rows))
    con.execute("CREATE TEMP TABLE seed_tags (k INTEGER PRIMARY KEY, grp, "
                "val)")
    con.executemany("INSERT INTO seed_tags VALUES (?, ?, ?)",
                    ((k,) + tag for k, tag in enumerate(TAGS)))

    # products: SKUS_PER_UNIT per unit, the same SKU names in every unit
    skus = ["SKU-%03d" % k for k in range(SKUS_PER_UNIT)]
    con.executemany(
        "INSERT INTO products (id, business_unit_id, sku, name, link, "
        "  image_link, gtin, mpn, brand, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ((hex_id(u * SKUS_PER_UNIT + k, 3 << 80), ids[u], sku,
          "Product %d of shop %d" % (k, u),
          "https://shop%d.bench.example/p/%s" % (u, sku),
          "https://shop%d.bench.example/img/%s.jpg" % (u, sku),
          "%013d" % (4000000000000 + u * 1000 + k), "MPN%d" % k,
          "Brand %d" % (k % 5), start, start)
         for u in range(b) for k, sku in enumerate(skus)))
    lap("pools_products")

    con.execute(sql(REVIEWS_SELECT), par)
    lap("reviews")
    con.execute(sql(TAGS_SELECT))
    lap("tags")
    con.execute(sql(CONSUMERS_SELECT), par)
    lap("consumers")
    # a small cache makes the sorter write runs of 8 MiB, sorted on both
    # cores and merged: 2.2-2.8 s an index of 1 M rows against 3.6-4.5 s
    # in one run of 256 MiB (bench/RESULTS.md, stop 30)
    con.execute("PRAGMA cache_size=-8192")
    for _, _, text in indexes:
        con.execute(text)
    lap("indexes")
    # the trigger's conditions; pub_seq IS NOT NULL (true of every seeded
    # row) lets it read the list index instead of the 1.5 GB table
    con.execute(
        "INSERT INTO business_unit_counts (business_unit_id, stars, n) "
        "SELECT business_unit_id, stars, count(*) FROM reviews "
        "WHERE " + VISIBLE + " AND sku IS NULL AND pub_seq IS NOT NULL "
        "GROUP BY 1, 2 "
        "ON CONFLICT (business_unit_id, stars) DO UPDATE SET "
        "n = n + excluded.n")
    con.execute(
        "INSERT INTO product_review_summaries (business_unit_id, sku, "
        "stars1, stars2, stars3, stars4, stars5) "
        "SELECT business_unit_id, sku, " + STARS_SUMS + " FROM reviews "
        "WHERE " + VISIBLE + " AND sku IS NOT NULL AND pub_seq IS NOT NULL "
        "GROUP BY 1, 2 "
        "ON CONFLICT (business_unit_id, sku) DO UPDATE SET " +
        ", ".join("stars%d = stars%d + excluded.stars%d" % (k, k, k)
                  for k in range(1, 6)))
    lap("counts")
    for _, _, text in triggers:
        con.execute(text)
    con.execute("COMMIT")
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    lap("wal")
    return {"skus": skus, "tags": [list(x) for x in TAGS],
            "languages": LANGUAGES, "referenceId": "ORD-%08d" % (n - 1),
            "from_ms": start, "to_ms": now, "consumers": n_consumers,
            "seconds": lap.t}


def seed(db, n, units, tenants):
    began = time.monotonic()
    db = pathlib.Path(db).resolve()
    ids, domains, out_tenants = create_units(db, units, tenants)
    made = time.monotonic() - began
    log("%d units, %d tenants: %.1f s" % (units, tenants, made))
    info = bulk(db, ids, n, int(os.environ.get("SEED", "13")))
    info["seconds"]["units"] = [round(made, 2), None]
    info["seconds"]["total"] = [round(time.monotonic() - began, 2),
                                round(time.process_time(), 2)]
    log("%d reviews, seconds (wall, CPU of this process): %s" % (n, ", ".join(
        "%s %s" % (k, v) for k, v in info["seconds"].items())))
    info.update({"db": str(db), "reviews": n, "units": ids,
                 "domains": domains, "tenants": out_tenants})
    json.dump(info, sys.stdout, indent=1)
    print()


def check(db, seed_json, base, walk_units):
    info = json.loads(pathlib.Path(seed_json).read_text())
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    s = requests.Session()
    bad = []
    key = info["tenants"][0]["key"]
    pub = {"apikey": key}
    expect = {}
    for bu, stars, n in con.execute(
            "SELECT business_unit_id, stars, count(*) FROM reviews WHERE " +
            VISIBLE + " AND sku IS NULL GROUP BY 1, 2"):
        expect.setdefault(bu, [0] * 6)[stars] = n
    kept = {}
    for bu, stars, n in con.execute(
            "SELECT business_unit_id, stars, n FROM business_unit_counts"):
        kept.setdefault(bu, [0] * 6)[stars] = n
    if {k: v for k, v in kept.items() if sum(v)} != expect:
        bad.append("business_unit_counts differ from the rows")
    names = ["total", "oneStar", "twoStars", "threeStars", "fourStars",
             "fiveStars"]
    for bu in info["units"]:
        want = expect.get(bu, [0] * 6)
        want = [sum(want)] + want[1:]
        r = s.get(base + "/v1/business-units/" + bu, headers=pub)
        got = [r.json()["numberOfReviews"][k] for k in names]
        if got != want:
            bad.append("unit %s public summary %s, rows %s" % (bu, got,
                                                                want))
    for ten in info["tenants"]:
        tok = s.post(base + "/v1/oauth/oauth-business-users-for-"
                     "applications/accesstoken", auth=(ten["key"],
                                                       ten["secret"]),
                     data={"grant_type": "client_credentials"})
        tok.raise_for_status()
        ten["headers"] = {"Authorization": "Bearer " +
                          tok.json()["access_token"]}
        r = s.get(base + "/v1/private/business-units/" + ten["unit"],
                  headers=ten["headers"])
        want = expect.get(ten["unit"], [0] * 6)
        want = [sum(want)] + want[1:]
        got = [r.json()["numberOfReviews"][k] for k in names]
        if got != want:
            bad.append("tenant %s private summary %s, rows %s" % (
                ten["unit"], got, want))
    # the reviewer's counts: visible reviews, and those of them not
    # anonymous (what a named review shows as numberOfReviews)
    visible = VISIBLE.replace("status", "r.status").replace(
        "hidden_reason", "r.hidden_reason")
    for column, named in (("review_count", ""),
                          ("named_count", "r.anonymous = 0 AND ")):
        wrong = con.execute(
            "SELECT count(*) FROM consumers c WHERE %s != (SELECT count(*) "
            "FROM reviews r WHERE r.consumer_id = c.id AND %s%s)" % (
                column, named, visible)).fetchone()[0]
        if wrong:
            bad.append("%d consumers with a wrong %s" % (wrong, column))
    want = con.execute(
        "SELECT business_unit_id, sku, " + STARS_SUMS + " FROM reviews "
        "WHERE " + VISIBLE + " AND sku IS NOT NULL GROUP BY 1, 2").fetchall()
    kept = con.execute(
        "SELECT business_unit_id, sku, stars1, stars2, stars3, stars4, "
        "stars5 FROM product_review_summaries WHERE stars1 + stars2 + "
        "stars3 + stars4 + stars5 > 0").fetchall()
    if sorted(want) != sorted(kept):
        bad.append("product_review_summaries differ from the rows (%d "
                   "products kept, %d with reviews)" % (len(kept), len(want)))
    wrong = con.execute(
        "SELECT count(*) FROM review_tags t JOIN reviews r ON "
        "r.id = t.review_id WHERE t.business_unit_id IS NOT "
        "r.business_unit_id OR t.sku IS NOT r.sku OR t.created_at IS NOT "
        "r.created_at OR t.review_seq IS NOT r.seq").fetchone()[0]
    if wrong:
        bad.append("%d tags with columns other than their review's" % wrong)
    fk = con.execute("PRAGMA foreign_key_check").fetchall()
    if fk:
        bad.append("%d foreign keys broken, e.g. %s" % (len(fk), fk[:3]))
    unpublished = con.execute(
        "SELECT count(*) FROM reviews WHERE pub_seq IS NULL OR NOT (" +
        VISIBLE + ")").fetchone()[0]
    if unpublished:
        bad.append("%d reviews not visible" % unpublished)
    walked = 0
    walk_began = time.monotonic()
    for bu in info["units"][:walk_units]:
        got, token = 0, ""
        while True:
            r = s.get(base + "/v1/business-units/%s/reviews" % bu, headers=pub,
                      params={"perPage": 100, "pageToken": token})
            r.raise_for_status()
            body = r.json()
            got += len(body["reviews"])
            walked += 1
            if not body["reviews"] or not any(
                    x["rel"] == "next-page" for x in body["links"]):
                break
            token = body["nextPageToken"]
        want = sum(expect.get(bu, [0] * 6))
        if got != want:
            bad.append("unit %s public cursor walk %d, rows %d" % (
                bu, got, want))
    walk_s = time.monotonic() - walk_began
    bu, sku = info["units"][0], info["skus"][0]
    got, page = 0, 1
    while True:
        r = s.get(base + "/v1/product-reviews/business-units/%s/reviews" % bu,
                  headers=pub, params={"sku": sku, "perPage": 100,
                                       "page": page})
        r.raise_for_status()
        got += len(r.json()["productReviews"])
        if not any(x["rel"] == "next-page" for x in r.json()["links"]):
            break
        page += 1
    want = con.execute("SELECT count(*) FROM reviews WHERE "
                       "business_unit_id = ? AND sku = ? AND " + VISIBLE,
                       (bu, sku)).fetchone()[0]
    if got != want:
        bad.append("unit %s SKU %s public list %d, rows %d" % (
            bu, sku, got, want))
    con.close()
    print("check: %d units' summaries, %d tenants, %d cursor pages of 100 "
          "walked in %.1f s, SKU %s: %d reviews: %s" % (
              len(info["units"]), len(info["tenants"]), walked, walk_s, sku,
              got, "all agree" if not bad else "DIFFERENCES"))
    for line in bad:
        print("  " + line)
    return 1 if bad else 0


def main(argv):
    if len(argv) >= 5 and argv[1] == "--check":
        return check(argv[2], argv[3], argv[4].rstrip("/"),
                     int(argv[5]) if len(argv) > 5 else 1)
    if len(argv) < 2 or argv[1].startswith("-"):
        sys.exit(__doc__)
    seed(argv[1], int(argv[2]) if len(argv) > 2 else 1000000,
         int(argv[3]) if len(argv) > 3 else 100,
         int(argv[4]) if len(argv) > 4 else 3)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
