# daoc -- build, test, bench and install.
#
#   make            build/daoc, build/libdaoc.so, build/libdaoc.a, build/daoc.pc
#   make run        install missing packages, build, run the quick start, serve the Admin API
#   make test       ASan+UBSan build, every suite, last line "N passed, N failed"
#   make bench      benchmarks (ratios to raw sqlite3), see docs/PERFORMANCE.md
#   make fuzz       build the libFuzzer targets (clang) and run each briefly
#   make valgrind   the unit suites under valgrind (leak check)
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
ifeq ($(origin CC),default)
CC := gcc
endif

PKGS := luajit jansson sqlite3 libpq libcrypto libpcre2-8 libmicrohttpd
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -lpthread

WARN := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes -Wshadow \
        -Wpointer-arith -Wcast-align -Wwrite-strings -Wformat=2 -Wundef \
        -Wno-unused-parameter -Wvla
BASE_CFLAGS := -std=c17 -D_GNU_SOURCE -fPIC -fvisibility=hidden -Iinclude -Isrc -Ibuild/gen $(WARN)
OPT ?= -O2 -g

LIB_SRC := $(shell find src -name '*.c' ! -path 'src/cli/*' | sort)
CLI_SRC := $(shell find src/cli -name '*.c' | sort)
LUA_SRC := $(shell find src/lua -name '*.lua' | sort)
GEN_SRC := $(patsubst src/lua/%.lua,build/gen/lua_%.c,$(LUA_SRC))
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))

# --- release build -----------------------------------------------------
R ?= build/obj
LIB_OBJ := $(patsubst %.c,$(R)/%.o,$(LIB_SRC)) $(patsubst build/gen/%.c,$(R)/gen/%.o,$(GEN_SRC))
CLI_OBJ := $(patsubst %.c,$(R)/%.o,$(CLI_SRC))

# --- sanitizer build (tests) --------------------------------------------
A ?= build/asan
SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
ALIB_OBJ := $(patsubst %.c,$(A)/%.o,$(LIB_SRC)) $(patsubst build/gen/%.c,$(A)/gen/%.o,$(GEN_SRC))
ACLI_OBJ := $(patsubst %.c,$(A)/%.o,$(CLI_SRC))
ATESTS := $(patsubst tests/unit/%.c,$(A)/tests/%,$(TEST_SRC))

.PHONY: all run test test-build vg-build tsan-build bench-build bench fuzz valgrind install clean deps deps-test deps-bench format check
all: build/daoc build/libdaoc.so build/libdaoc.a build/daoc.pc

deps:
	@scripts/deps.sh build
deps-test:
	@scripts/deps.sh test
deps-bench:
	@scripts/deps.sh bench

build/tools/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -o $@ $<

build/gen/lua_%.c: src/lua/%.lua build/tools/embed
	@mkdir -p $(dir $@)
	build/tools/embed daoc__lua_src_$(subst -,_,$(subst /,_,$*)) $< $@

$(R)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(OPT) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<
$(R)/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -fPIC -O2 $(CFLAGS) -c -o $@ $<

build/libdaoc.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
build/libdaoc.so: $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libdaoc.so.0 -o $@ $^ $(PKG_LIBS) $(LDFLAGS)
build/daoc: $(CLI_OBJ) build/libdaoc.a
	$(CC) -o $@ $(CLI_OBJ) build/libdaoc.a $(PKG_LIBS) -Wl,-E $(LDFLAGS)
define write_pc
	@mkdir -p build
	@printf 'prefix=%s\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\n\nName: daoc\nDescription: datastore layer for API-gateway plugins\nVersion: 0.1.0\nRequires.private: luajit jansson sqlite3 libpq libcrypto libpcre2-8 libmicrohttpd\nLibs: -L$${libdir} -ldaoc\nLibs.private: -lm -lpthread\nCflags: -I$${includedir}\n' '$(PREFIX)' > $(1)
endef
build/daoc.pc: Makefile
	$(call write_pc,$@)

# --- sanitizer objects and tests ------------------------------------------
$(A)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O1 -g $(SAN) $(PKG_CFLAGS) -DDAOC_TESTING -MMD -MP -c -o $@ $<
$(A)/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -fPIC -O1 -c -o $@ $<
$(A)/libdaoc.a: $(ALIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(A)/daoc: $(ACLI_OBJ) $(A)/libdaoc.a
	$(CC) $(SAN) -o $@ $(ACLI_OBJ) $(A)/libdaoc.a $(PKG_LIBS) -Wl,-E
$(A)/tests/%: tests/unit/%.c tests/harness.h tests/unit/fixture.h tests/unit/errtext.h tests/unit/lua_env.h $(A)/libdaoc.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Itests -O1 -g $(SAN) $(PKG_CFLAGS) -DDAOC_TESTING -o $@ $< $(A)/libdaoc.a $(PKG_LIBS)

test-build: $(ATESTS) $(A)/daoc
test: deps-test
	@$(MAKE) --no-print-directory test-build vg-build tsan-build bench-build
	@DAOC_TSAN_DIR=$(TS) scripts/run-tests.sh $(A) $(V)

# --- valgrind: release-style build (no ASan), leak check -------------------
V := build/vg
VLIB_OBJ := $(patsubst %.c,$(V)/%.o,$(LIB_SRC)) $(patsubst build/gen/%.c,$(V)/gen/%.o,$(GEN_SRC))
VTESTS := $(patsubst tests/unit/%.c,$(V)/tests/%,$(TEST_SRC))
$(V)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O1 -g $(PKG_CFLAGS) -DDAOC_TESTING -MMD -MP -c -o $@ $<
$(V)/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -fPIC -O1 -c -o $@ $<
$(V)/libdaoc.a: $(VLIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(V)/tests/%: tests/unit/%.c tests/harness.h tests/unit/fixture.h tests/unit/errtext.h tests/unit/lua_env.h $(V)/libdaoc.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Itests -O1 -g $(PKG_CFLAGS) -DDAOC_TESTING -o $@ $< $(V)/libdaoc.a $(PKG_LIBS)
VCLI_OBJ := $(patsubst %.c,$(V)/%.o,$(CLI_SRC))
$(V)/daoc: $(VCLI_OBJ) $(V)/libdaoc.a
	$(CC) -o $@ $(VCLI_OBJ) $(V)/libdaoc.a $(PKG_LIBS) -Wl,-E
vg-build: $(VTESTS) $(V)/daoc
valgrind: deps-test vg-build
	@scripts/run-valgrind.sh $(V)

# --- thread sanitizer: the suites that share state across threads ------------
TS := build/tsan
TLIB_OBJ := $(patsubst %.c,$(TS)/%.o,$(LIB_SRC)) $(patsubst build/gen/%.c,$(TS)/gen/%.o,$(GEN_SRC))
TTESTS := $(TS)/tests/test_pg_pool $(TS)/tests/test_pg_faults $(TS)/tests/test_cluster_events $(TS)/tests/test_cache
$(TS)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O1 -g -fsanitize=thread $(PKG_CFLAGS) -DDAOC_TESTING -MMD -MP -c -o $@ $<
$(TS)/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -fPIC -O1 -c -o $@ $<
$(TS)/libdaoc.a: $(TLIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(TS)/tests/%: tests/unit/%.c tests/harness.h tests/unit/fixture.h tests/unit/errtext.h tests/unit/lua_env.h $(TS)/libdaoc.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Itests -O1 -g -fsanitize=thread $(PKG_CFLAGS) -DDAOC_TESTING -o $@ $< $(TS)/libdaoc.a $(PKG_LIBS)
TCLI_OBJ := $(patsubst %.c,$(TS)/%.o,$(CLI_SRC))
$(TS)/daoc: $(TCLI_OBJ) $(TS)/libdaoc.a
	$(CC) -fsanitize=thread -o $@ $(TCLI_OBJ) $(TS)/libdaoc.a $(PKG_LIBS) -Wl,-E
tsan-build: $(TTESTS) $(TS)/daoc

# --- fuzzing (clang + libFuzzer) --------------------------------------------
F := build/fuzz
FSAN := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
FLIB_OBJ := $(patsubst %.c,$(F)/%.o,$(LIB_SRC)) $(patsubst build/gen/%.c,$(F)/gen/%.o,$(GEN_SRC))
FUZZERS := $(patsubst fuzz/%.c,$(F)/bin/%,$(FUZZ_SRC))
$(F)/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(BASE_CFLAGS) -Wno-unknown-warning-option -O1 -g $(FSAN) $(PKG_CFLAGS) -DDAOC_TESTING -MMD -MP -c -o $@ $<
$(F)/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	clang -std=c17 -fPIC -O1 -c -o $@ $<
$(F)/libdaoc.a: $(FLIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(F)/bin/%: fuzz/%.c $(F)/libdaoc.a
	@mkdir -p $(dir $@)
	clang $(BASE_CFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined $(PKG_CFLAGS) -DDAOC_TESTING -o $@ $< $(F)/libdaoc.a $(PKG_LIBS)
fuzz: deps-test $(FUZZERS)
	@scripts/run-fuzz.sh $(F)/bin $${FUZZ_SECONDS:-20}

# --- benchmarks ---------------------------------------------------------------
build/bench/%: bench/%.c bench/bench_util.h build/libdaoc.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O2 -g $(PKG_CFLAGS) -o $@ $< build/libdaoc.a $(PKG_LIBS)
# the benchmarks are built by make test too (a bench that no longer
# compiles fails the tests), and run only by make bench
bench-build: $(patsubst bench/%.c,build/bench/%,$(BENCH_SRC)) build/daoc
bench: deps-bench bench-build
	@scripts/run-bench.sh

run: deps
	@$(MAKE) --no-print-directory all
	cd examples && ../build/daoc -c quickstart.conf runner quickstart.lua
	cd examples/plugins && ../../build/daoc -c examples.conf migrations bootstrap
	@printf '\nThe Admin API of the example plugins, on http://127.0.0.1:8001 (Ctrl-C stops it). Try:\n  curl -s -X POST http://127.0.0.1:8001/consumers -d username=alice\n  curl -s -X POST http://127.0.0.1:8001/consumers/alice/key-auth -d key=s3cret\n\n'
	cd examples/plugins && exec ../../build/daoc -c examples.conf serve

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 0755 build/daoc $(DESTDIR)$(PREFIX)/bin/daoc
	install -m 0644 build/libdaoc.a $(DESTDIR)$(PREFIX)/lib/libdaoc.a
	install -m 0755 build/libdaoc.so $(DESTDIR)$(PREFIX)/lib/libdaoc.so.0
	ln -sf libdaoc.so.0 $(DESTDIR)$(PREFIX)/lib/libdaoc.so
	install -m 0644 include/daoc.h $(DESTDIR)$(PREFIX)/include/daoc.h
	$(call write_pc,$(DESTDIR)$(PREFIX)/lib/pkgconfig/daoc.pc)

format:
	clang-format -i $$(find src include tests bench fuzz tools -name '*.[ch]')

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
.SECONDARY:
