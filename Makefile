# lsm_am: an LSM-tree table access method for PostgreSQL 15 (PGXS build).
#
#   make && make install          build and install the extension
#   make core-check               engine-core unit tests (no server)
#   make installcheck             pg_regress + TAP against temp clusters
#                                 (run as an unprivileged user)
#   scripts/test.sh               everything, as root or not (see README)

EXTENSION = lsm_am
MODULE_big = lsm_am
DATA = sql/lsm_am--0.1.sql
PGFILEDESC = "lsm_am - LSM-tree storage engine"

# The layers, lowest first (README "Where things are"; test/check_layers.sh
# checks that each includes and calls only its own folder and lower ones).
LAYERS = storage engine table index extension
CORE_SRCS = $(sort $(wildcard src/core/*.c))
ADAPTER_SRCS = $(foreach l,$(LAYERS),$(sort $(wildcard src/$(l)/*.c)))
OBJS = $(ADAPTER_SRCS:.c=.o) $(CORE_SRCS:.c=.o)

PG_CPPFLAGS = -I$(srcdir)/src
# make ASSERTS=1: this extension's Asserts on, against a server built
# without them (Debian's).  Sound for this code: it uses no struct whose
# layout USE_ASSERT_CHECKING changes and no function that only an
# assert-enabled server exports (scripts/test.sh checks the second).
ifeq ($(ASSERTS),1)
PG_CPPFLAGS += -DUSE_ASSERT_CHECKING
endif
SHLIB_LINK = -lzstd -lxxhash

REGRESS = $(basename $(notdir $(filter-out sql/lsm_am--%,$(sort $(wildcard sql/*.sql)))))
REGRESS_OPTS = --temp-instance=tmp_regress --temp-config=$(srcdir)/test/lsm_test.conf

TAP_TESTS = 1
PROVE_TESTS = test/tap/*.pl

# Isolation specs: test/isolation/specs/NAME.spec, expected output
# test/isolation/expected/NAME.out.
# Only defined when a spec exists, so that installcheck skips an empty suite.
ISOLATION = $(basename $(notdir $(sort $(wildcard test/isolation/specs/*.spec))))
ifeq ($(strip $(ISOLATION)),)
undefine ISOLATION
else
ISOLATION_OPTS = --inputdir=test/isolation --temp-instance=tmp_check_iso --temp-config=$(srcdir)/test/lsm_test.conf \
	--temp-config=$(srcdir)/test/isolation/isolation.conf
endif

EXTRA_CLEAN = tmp_regress tmp_check results regression.diffs regression.out src/core/test/build \
	tmp_check_iso output_iso

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS does not track header dependencies; shared structs change often.
$(OBJS): $(wildcard src/*/*.h)

# Engine-core unit tests: plain C, no server.
CORE_TESTS = $(sort $(wildcard src/core/test/test_*.c))
CORE_BINS = $(patsubst src/core/test/%.c,src/core/test/build/%,$(CORE_TESTS))
CORE_CFLAGS = -std=gnu99 -O2 -g -Wall -Wextra -Wno-unused-parameter -DLSM_CORE_ASSERTS -pthread -Isrc/core -Isrc/core/test

src/core/test/build/%: src/core/test/%.c $(CORE_SRCS) $(wildcard src/core/*.h) src/core/test/lsm_test.h
	@mkdir -p src/core/test/build
	$(CC) $(CORE_CFLAGS) -o $@ $< $(CORE_SRCS) -lzstd -lxxhash -lm -lpthread

.PHONY: core-check
core-check: $(CORE_BINS)
	@set -e; for t in $(CORE_BINS); do echo "== $$t"; $$t; done
