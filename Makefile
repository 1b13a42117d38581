# reviewd: one non-recursive Makefile. `make` builds build/reviewd; SAN=1
# builds the same with AddressSanitizer + UndefinedBehaviorSanitizer into
# build/san/. See README.md for the targets.

PKGS	 = libmicrohttpd sqlite3 jansson libsodium libcurl inih libsystemd \
	   libcrypto libpcre2-8 libpq
PREFIX	?= /usr/local
PYTHON	?= /usr/bin/python3

BUILD	 = build
ifeq ($(SAN),1)
BUILD	 = build/san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all
endif

# The caller's flags (packagers: `make CFLAGS="..." LDFLAGS="..."`, or the
# same in the environment) go in CFLAGS, CPPFLAGS and LDFLAGS; CFLAGS
# defaults to $(OPT), kept as an alias for the optimisation level. The flags
# reviewd needs are in RD_CFLAGS, always added before the caller's, so a
# caller's -O level or -Wno-... wins.
# Recursive (=) on purpose: pkg-config runs when a recipe needs it, after
# `make run` has installed the packages.
OPT	?= -O2 -g
CFLAGS	?= $(OPT)
RD_CFLAGS = -std=c11 -Wall -Wextra -Werror -Wshadow \
	   -Wstrict-prototypes -Wmissing-prototypes -D_GNU_SOURCE \
	   -Iinclude $(shell pkg-config --cflags $(PKGS)) $(SANFLAGS)
ALL_CFLAGS = $(RD_CFLAGS) $(CPPFLAGS) $(CFLAGS)
LDLIBS	 = $(shell pkg-config --libs $(PKGS)) -lpthread
TESTLIBS = $(shell pkg-config --libs cmocka)

SRC	 = $(wildcard src/*.c)
OBJ	 = $(SRC:src/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/migrations.o \
	   $(BUILD)/obj/migrations_pg.o $(BUILD)/obj/lang.o
MIGRATIONS = $(sort $(wildcard migrations/[0-9][0-9][0-9][0-9]_*.sql))
MIGRATIONS_PG = $(sort $(wildcard migrations_pg/[0-9][0-9][0-9][0-9]_*.sql))
LANGS	 = $(sort $(wildcard lang/*.txt))

SANENV	 = ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
	   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

BANNED	 = strcpy|strcat|strncpy|strncat|sprintf|vsprintf|strtok|gets|atoi|atol|gmtime|localtime|ctime|asctime
COLUMNS_CHECKED = src/*.c include/reviewd/*.h tests/unit/*.c

# Unit tests: tests/unit/test_X.c links X.o plus the modules in T_X (names
# of src/*.c without the .c; migrations is the embedded SQL, lang the
# embedded lang/*.txt), nothing else.
# Each list is the smallest the objects allow: after a module is added or
# split, `make all && scripts/unit-objs --write` rewrites them. Most lists
# are long: an object calls others (the handlers' module calls db's and
# http's), and those call theirs.
T_afs	 = afs_message api_error auth buf clock config db db_pg \
	   db_pg_listen db_pg_sql db_pg_tx db_sqlite db_sqlite_migrate \
	   db_sqlite_wal error_body handler html http http_guard i18n \
	   idempotency ids invitations invitations_history \
	   invitations_templates invitations_unsubscribe json lang log \
	   mailer_compose mailhtml mailhtml_attr metrics migrations \
	   migrations_pg rate_limit request router scheduler settings \
	   sleeper upgrade utf8 writer
T_buf	 =
T_clock	 =
T_config = buf log utf8
T_csv	 = buf
T_db	 = api_error buf clock db_pg db_pg_listen db_pg_sql db_pg_tx \
	   db_sqlite db_sqlite_migrate db_sqlite_wal log migrations \
	   migrations_pg sleeper utf8
T_db_pg_sql = buf
T_http	 = api_error auth buf clock config db db_pg db_pg_listen db_pg_sql \
	   db_pg_tx db_sqlite db_sqlite_migrate db_sqlite_wal error_body \
	   handler http_guard ids json log metrics migrations \
	   migrations_pg rate_limit request router scheduler settings \
	   sleeper utf8 writer
T_i18n	 = lang
T_ids	 =
T_json	 = api_error auth buf clock config db db_pg db_pg_listen db_pg_sql \
	   db_pg_tx db_sqlite db_sqlite_migrate db_sqlite_wal error_body \
	   handler http http_guard ids log metrics migrations \
	   migrations_pg rate_limit request router scheduler settings \
	   sleeper utf8 writer
T_links	 = api_error auth buf clock config db db_pg db_pg_listen db_pg_sql \
	   db_pg_tx db_sqlite db_sqlite_migrate db_sqlite_wal error_body \
	   findreviewer_json handler html http http_guard i18n idempotency \
	   ids invitations invitations_history invitations_links \
	   invitations_templates invitations_unsubscribe json lang log \
	   mailer_compose mailer_templates mailhtml mailhtml_attr metrics \
	   migrations migrations_pg outbox outbox_add outbox_admin \
	   rate_limit request reviews_edit reviews_json reviews_submit \
	   router scheduler settings sleeper upgrade utf8 webhooks writer
T_list_cache = buf
T_mailer = api_error auth buf clock config db db_pg db_pg_listen db_pg_sql \
	   db_pg_tx db_sqlite db_sqlite_migrate db_sqlite_wal error_body \
	   handler html http http_guard i18n ids json lang log \
	   mailer_compose mailer_templates metrics migrations \
	   migrations_pg rate_limit request router scheduler settings \
	   sleeper utf8 writer
T_mailhtml = mailhtml_attr
T_reviews_shape = api_error buf clock db db_pg db_pg_listen db_pg_sql \
	   db_pg_tx db_sqlite db_sqlite_migrate db_sqlite_wal log \
	   migrations migrations_pg sleeper utf8
T_router = afs afs_message api_error audit auth auth_codes auth_tokens buf \
	   business business_units clock config consumers csv db db_pg \
	   db_pg_listen db_pg_sql db_pg_tx db_sqlite db_sqlite_migrate \
	   db_sqlite_wal erasure error_body findreviewer findreviewer_json \
	   handler health html http http_guard i18n idempotency ids \
	   invitations invitations_csv invitations_history \
	   invitations_links invitations_templates invitations_unsubscribe \
	   invitations_upload json lang links list_cache log mailer \
	   mailer_compose mailer_templates mailhtml mailhtml_attr metrics \
	   migrations migrations_pg oauth_authorize outbox outbox_add \
	   outbox_admin outbox_mail pages pages_findreviewer \
	   pages_invitation pages_profile pages_review_edit \
	   pages_review_link products rate_limit reports request reviews \
	   reviews_edit reviews_filters reviews_json reviews_list \
	   reviews_products reviews_shape reviews_submit routes scheduler \
	   settings sleeper upgrade utf8 webhooks webhooks_subscriptions \
	   writer
T_webhooks = api_error auth buf clock config db db_pg db_pg_listen \
	   db_pg_sql db_pg_tx db_sqlite db_sqlite_migrate db_sqlite_wal \
	   error_body handler http http_guard ids json log metrics \
	   migrations migrations_pg outbox outbox_add outbox_admin \
	   rate_limit request router scheduler settings sleeper upgrade \
	   utf8 writer

UNIT	 = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,\
	   $(wildcard tests/unit/test_*.c))
unit_objs = $(patsubst %,$(BUILD)/obj/%.o,$(sort $(1) $(T_$(1))))

# Flag stamps: each holds the effective command and is rewritten only when
# that changes (OPT, CFLAGS, SAN, LDFLAGS, the packages), so objects and
# binaries built with other flags are rebuilt.
FLAGS_CC = $(CC) $(ALL_CFLAGS)
FLAGS_LD = $(CC) $(ALL_CFLAGS) $(LDFLAGS) $(LDLIBS)
stamp	 = @mkdir -p $(@D); \
	   printf '%s\n' '$(subst ','\'',$(1))' > $@.tmp; \
	   if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

# A failed link must not leave a file that looks built.
.DELETE_ON_ERROR:

.PHONY: all run deps test lint lint-banned lint-columns lint-headers \
	lint-cycles unit integration browser-deps install uninstall clean \
	print-cflags FORCE

all: $(BUILD)/reviewd

$(BUILD)/.flags: FORCE
	$(call stamp,$(FLAGS_CC))

$(BUILD)/.ldflags: FORCE
	$(call stamp,$(FLAGS_LD))

$(BUILD)/reviewd: $(OBJ) $(BUILD)/.ldflags
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(OBJ) $(LDLIBS)

$(BUILD)/obj/%.o: src/%.c $(BUILD)/.flags
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# The lists of embedded files, as stamps: a file removed (or renamed)
# regenerates what embedded it, as a file changed does.
$(BUILD)/gen/.migrations: FORCE
	$(call stamp,$(MIGRATIONS))

$(BUILD)/gen/.migrations_pg: FORCE
	$(call stamp,$(MIGRATIONS_PG))

$(BUILD)/gen/.langs: FORCE
	$(call stamp,$(LANGS))

$(BUILD)/gen/migrations.c: $(MIGRATIONS) $(BUILD)/gen/.migrations \
    scripts/embed-migrations.sh
	@mkdir -p $(@D)
	scripts/embed-migrations.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/migrations.o: $(BUILD)/gen/migrations.c $(BUILD)/.flags
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# issue 17: PostgreSQL's migrations, embedded beside SQLite's as
# db_builtin_migrations_pg (the unit tests link them where they link
# migrations: T_X lists name migrations_pg).
$(BUILD)/gen/migrations_pg.c: $(MIGRATIONS_PG) $(BUILD)/gen/.migrations_pg \
    scripts/embed-migrations.sh
	@mkdir -p $(@D)
	scripts/embed-migrations.sh --name db_builtin_migrations_pg \
	    $(MIGRATIONS_PG) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/migrations_pg.o: $(BUILD)/gen/migrations_pg.c $(BUILD)/.flags
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/gen/lang.c: $(LANGS) $(BUILD)/gen/.langs scripts/embed-lang.sh
	@mkdir -p $(@D)
	scripts/embed-lang.sh $(LANGS) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/lang.o: $(BUILD)/gen/lang.c $(BUILD)/.flags
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

.SECONDEXPANSION:
$(BUILD)/tests/test_%: tests/unit/test_%.c $$(call unit_objs,$$*) \
	    $(BUILD)/.flags $(BUILD)/.ldflags
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -MMD -MP -o $@ $< \
	    $(call unit_objs,$*) $(LDLIBS) $(TESTLIBS) || { \
		echo "unit: T_$* lacks a module? make all &&" \
		    "scripts/unit-objs --write"; exit 1; }

deps:
	scripts/deps.sh

# var/ (database, maildir) is for the daemon's user alone: 0750 and 0640.
run: deps
	$(MAKE) all
	umask 027 && mkdir -p var && chmod o-rwx var && \
	    exec $(BUILD)/reviewd serve

# lint: banned functions, 80 columns (tabs to 8), every header compiles on
# its own (twice, for its guard), no include cycle between modules.
lint: lint-banned lint-columns lint-headers lint-cycles
	@echo "lint: ok"

lint-banned:
	@if grep -nE '\b($(BANNED))[[:space:]]*\(' src/*.c include/reviewd/*.h \
	    tests/unit/*.c; then \
		echo "lint: banned functions above (see STYLE.md section 5)"; \
		exit 1; \
	fi

lint-columns:
	@$(PYTHON) scripts/check-columns 80 $(COLUMNS_CHECKED)

lint-headers:
	@fail=0; for h in include/reviewd/*.h; do \
		h=$${h#include/}; \
		printf '#include "%s"\n#include "%s"\n' "$$h" "$$h" | \
		    $(CC) $(ALL_CFLAGS) -fsyntax-only -x c - || \
		    { echo "lint: $$h does not compile alone (or twice)"; \
		    fail=1; }; \
	done; exit $$fail

lint-cycles:
	@$(PYTHON) scripts/module-cycles

unit: $(UNIT)
	@for t in $(UNIT); do echo "== $$t"; $(SANENV) $$t || exit 1; done

# playwright-core for tests/browser (the browser is Debian's chromium).
browser-deps: tests/browser/node_modules/.package-lock.json

tests/browser/node_modules/.package-lock.json: tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund

# PG=1: every daemon of the suite on PostgreSQL (issue 17; a throwaway
# cluster, tests/integration/pgcluster.py); test_postgres.py always is.
integration: $(BUILD)/reviewd browser-deps
	REVIEWD_BIN=$(abspath $(BUILD)/reviewd) REVIEWD_PG=$(PG) $(SANENV) \
	    $(PYTHON) -m pytest -q tests/integration

test: lint unit integration

# Screenshots of the reviewer pages for the README (not run by CI): a
# daemon with demo data, headless chromium, PNGs into docs/screenshots/.
.PHONY: screenshots
screenshots: $(BUILD)/reviewd browser-deps
	REVIEWD_BIN=$(abspath $(BUILD)/reviewd) \
	    $(PYTHON) tests/browser/screenshots.py docs/screenshots

# uninstall removes what install put there, and the directories of
# reviewd's own (share/reviewd) when nothing else is left in them.
BINDIR	 = $(DESTDIR)$(PREFIX)/bin
DATADIR	 = $(DESTDIR)$(PREFIX)/share/reviewd
UNITDIR	 = $(DESTDIR)$(PREFIX)/lib/systemd/system

install: $(BUILD)/reviewd
	install -D -m 0755 $(BUILD)/reviewd $(BINDIR)/reviewd
	install -d $(DATADIR)/migrations
	install -m 0644 $(MIGRATIONS) $(DATADIR)/migrations
	install -D -m 0644 config.example.ini $(DATADIR)/config.example.ini
	install -D -m 0644 docs/reviewd.service $(UNITDIR)/reviewd.service

uninstall:
	rm -f $(BINDIR)/reviewd $(UNITDIR)/reviewd.service \
	    $(DATADIR)/config.example.ini \
	    $(MIGRATIONS:migrations/%=$(DATADIR)/migrations/%)
	for d in $(DATADIR)/migrations $(DATADIR); do \
		if [ -d "$$d" ]; then \
			rmdir --ignore-fail-on-non-empty "$$d" || exit 1; \
		fi; \
	done

clean:
	rm -rf build

# For scripts/unit-objs: the compile flags.
print-cflags:
	@echo $(ALL_CFLAGS)

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/tests/*.d)

# Fuzzing and chaos (issue 16). `make fuzz FUZZ_SECONDS=N`: the libFuzzer
# harnesses tests/fuzz/fuzz_*.c, each linked with the real modules (every
# src/*.c but main.c, from an archive) built by Debian's clang with
# ASan/UBSan into build/fuzz/; each runs N seconds (nice), its executions
# and crashes printed; a crash fails. `make fuzz-check` (CI): each makes
# FUZZ_RUNS runs from seed FUZZ_SEED on a fresh scratch corpus, so it finds
# the same inputs on every machine; a crash found by `make fuzz` goes into
# tests/fuzz/corpus/fuzz_X/ with its fix, and fuzz-check replays it. `make chaos`: the kill -9 campaign of
# tests/chaos/run.py on build/reviewd (CHAOS_KILLS kills, CHAOS_N
# invitations).
FUZZ_CC	 ?= clang
FUZZ_SECONDS ?= 20
FUZZ_RUNS ?= 400000
FUZZ_SEED ?= 1
FUZZ	 = build/fuzz
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=c11 -O1 -g -Wall -Wextra -D_GNU_SOURCE -Iinclude \
	   $(shell pkg-config --cflags $(PKGS)) $(FUZZ_SAN)
FUZZ_OBJ = $(patsubst src/%.c,$(FUZZ)/obj/%.o,\
	   $(filter-out src/main.c,$(SRC))) $(FUZZ)/obj/migrations.o \
	   $(FUZZ)/obj/migrations_pg.o $(FUZZ)/obj/lang.o
FUZZ_BIN = $(patsubst tests/fuzz/%.c,$(FUZZ)/%,\
	   $(wildcard tests/fuzz/fuzz_*.c))
CHAOS_KILLS ?= 3
CHAOS_N	 ?= 300

.PHONY: fuzz fuzz-check fuzz-build chaos tsan

$(FUZZ)/.flags: FORCE
	$(call stamp,$(FUZZ_CC) $(FUZZ_CFLAGS))

$(FUZZ)/obj/%.o: src/%.c $(FUZZ)/.flags
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c \
	    -o $@ $<

$(FUZZ)/obj/migrations.o: $(BUILD)/gen/migrations.c $(FUZZ)/.flags
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ)/obj/migrations_pg.o: $(BUILD)/gen/migrations_pg.c $(FUZZ)/.flags
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ)/obj/lang.o: $(BUILD)/gen/lang.c $(FUZZ)/.flags
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ)/libreviewd.a: $(FUZZ_OBJ)
	rm -f $@
	ar rcs $@ $(FUZZ_OBJ)

$(FUZZ)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ)/libreviewd.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Werror -fsanitize=fuzzer -o $@ $< \
	    $(FUZZ)/libreviewd.a $(LDLIBS)

fuzz-build: $(FUZZ_BIN)

fuzz: fuzz-build
	$(PYTHON) tests/fuzz/run.py --seconds $(FUZZ_SECONDS) $(FUZZ_BIN)

fuzz-check: fuzz-build
	$(PYTHON) tests/fuzz/run.py --runs $(FUZZ_RUNS) --seed $(FUZZ_SEED) \
	    $(FUZZ_BIN)

chaos: $(BUILD)/reviewd
	REVIEWD_BIN=$(abspath $(BUILD)/reviewd) $(PYTHON) tests/chaos/run.py \
	    --kills $(CHAOS_KILLS) --n $(CHAOS_N)

# ThreadSanitizer over the unit tests that start threads of their own
# (test_mailer: several threads sending into one maildir batch, as the
# dispatch's rendering threads do), built into build/tsan/.
TSAN_UNITS = mailer

tsan:
	$(MAKE) BUILD=build/tsan CFLAGS="-O1 -g -fsanitize=thread" \
	    LDFLAGS="-fsanitize=thread" $(TSAN_UNITS:%=build/tsan/tests/test_%)
	for t in $(TSAN_UNITS); do \
		TSAN_OPTIONS=halt_on_error=1 build/tsan/tests/test_$$t || \
		    exit 1; \
	done

-include $(wildcard $(FUZZ)/obj/*.d)
