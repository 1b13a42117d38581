# reviewd: one non-recursive Makefile. `make` builds build/reviewd; SAN=1
# builds the same with AddressSanitizer + UndefinedBehaviorSanitizer into
# build/san/. See README.md for the targets.

PKGS	 = libmicrohttpd sqlite3 jansson libsodium libcurl inih libsystemd \
	   libcrypto libpcre2-8
PREFIX	?= /usr/local
PYTHON	?= /usr/bin/python3

BUILD	 = build
ifeq ($(SAN),1)
BUILD	 = build/san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all
endif

# Recursive (=) on purpose: pkg-config runs when a recipe needs it, after
# `make run` has installed the packages.
OPT	?= -O2 -g
CFLAGS	 = -std=c11 $(OPT) -Wall -Wextra -Werror -Wshadow \
	   -Wstrict-prototypes -Wmissing-prototypes -D_GNU_SOURCE \
	   -Iinclude $(shell pkg-config --cflags $(PKGS)) $(SANFLAGS)
LDLIBS	 = $(shell pkg-config --libs $(PKGS)) -lpthread
TESTLIBS = $(shell pkg-config --libs cmocka)

SRC	 = $(wildcard src/*.c)
OBJ	 = $(SRC:src/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/migrations.o
LIBOBJ	 = $(filter-out $(BUILD)/obj/main.o,$(OBJ))
UNIT	 = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,\
	   $(wildcard tests/unit/test_*.c))
MIGRATIONS = $(sort $(wildcard migrations/[0-9][0-9][0-9][0-9]_*.sql))

SANENV	 = ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
	   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

BANNED	 = strcpy|strcat|strncpy|strncat|sprintf|vsprintf|strtok|gets|atoi|atol|gmtime|localtime|ctime|asctime

.PHONY: all run deps test lint unit integration browser-deps install clean

all: $(BUILD)/reviewd

$(BUILD)/reviewd: $(OBJ)
	$(CC) $(CFLAGS) -o $@ $(OBJ) $(LDLIBS)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/gen/migrations.c: $(MIGRATIONS) scripts/embed-migrations.sh
	@mkdir -p $(@D)
	scripts/embed-migrations.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/migrations.o: $(BUILD)/gen/migrations.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIBOBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -o $@ $< $(LIBOBJ) $(LDLIBS) $(TESTLIBS)

deps:
	scripts/deps.sh

# var/ (database, maildir) is for the daemon's user alone: 0750 and 0640.
run: deps
	$(MAKE) all
	umask 027 && mkdir -p var && chmod o-rwx var && \
	    exec $(BUILD)/reviewd serve

lint:
	@if grep -nE '\b($(BANNED))[[:space:]]*\(' src/*.c include/reviewd/*.h \
	    tests/unit/*.c; then \
		echo "lint: banned functions above (see STYLE.md section 5)"; \
		exit 1; \
	fi
	@echo "lint: ok"

unit: $(UNIT)
	@for t in $(UNIT); do echo "== $$t"; $(SANENV) $$t || exit 1; done

# playwright-core for tests/browser (the browser is Debian's chromium).
browser-deps: tests/browser/node_modules/.package-lock.json

tests/browser/node_modules/.package-lock.json: tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund

integration: $(BUILD)/reviewd browser-deps
	REVIEWD_BIN=$(abspath $(BUILD)/reviewd) $(SANENV) \
	    $(PYTHON) -m pytest -q tests/integration

test: lint unit integration

install: $(BUILD)/reviewd
	install -D -m 0755 $(BUILD)/reviewd $(DESTDIR)$(PREFIX)/bin/reviewd
	install -d $(DESTDIR)$(PREFIX)/share/reviewd/migrations
	install -m 0644 $(MIGRATIONS) $(DESTDIR)$(PREFIX)/share/reviewd/migrations
	install -D -m 0644 config.example.ini \
	    $(DESTDIR)$(PREFIX)/share/reviewd/config.example.ini
	install -D -m 0644 docs/reviewd.service \
	    $(DESTDIR)$(PREFIX)/lib/systemd/system/reviewd.service

clean:
	rm -rf build

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/tests/*.d)
