# runstore: PGXS build of the C++ extension (see ../shared/CPP_IN_POSTGRES.md, recipe (c)).
# No EXTENSION variable: PGXS would then look for runstore.control at the top level.
EXTVERSION  = 0.4.0
MODULE_big  = runstore

SRCS = $(sort $(wildcard extension/src/*.cpp extension/src/*/*.cpp))
OBJS = $(SRCS:.cpp=.o)

# Control file and scripts live under extension/; top-level sql/ is pg_regress input.
MODULEDIR = extension
DATA      = extension/runstore.control $(wildcard extension/sql/runstore--*.sql)

# Run order matters: schema.sql defines the u(n) test-id helper the others use.
REGRESS      = schema boundary batch_get_executions_by_ids batch_delete_many batch_delete_by_tag recent_workflows recent_fold_worker queue queue_batch_outcomes queue_claim_frontier queue_wait_for_work queue_stats security roles tenants search_path dump_config plans direct_paths reinstall
REGRESS_OPTS = --load-extension=runstore
ISOLATION      = $(patsubst tests/isolation/specs/%.spec,%,$(sort $(wildcard tests/isolation/specs/*.spec)))
ISOLATION_OPTS = --inputdir=tests/isolation --load-extension=runstore
# The suites count pending rows after each writer's fold turn, so their
# writers fold themselves: a fold worker would fold at times of its own.
# recent_fold_worker turns it back on; the random, client and soak suites
# run with the default.
installcheck: export PGOPTIONS := $(PGOPTIONS) -c runstore.background_fold=off

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
INCLUDEDIR_SERVER := $(shell $(PG_CONFIG) --includedir-server)
INCLUDEDIR_LIBPQ  := $(shell $(PG_CONFIG) --includedir)

CXX_STD     = -std=c++17
# -isystem: PostgreSQL's headers use `register` and have unused parameters; keep
# our own warnings meaningful.  -MMD -MP: PGXS here does not track header deps.
PG_CPPFLAGS = -Iextension/include -isystem $(INCLUDEDIR_SERVER) -isystem $(INCLUDEDIR_LIBPQ)
PG_CXXFLAGS = $(CXX_STD) -Wall -Wextra -Wno-register -MMD -MP
# Linked by gcc, so libstdc++ must be named explicitly.  libpq: on a Citus
# cluster an idle worker's wait also waits on the other nodes
# (extension/src/queue/remote_waits.cpp), as postgres_fdw and dblink connect.
SHLIB_LINK  = -lstdc++ -lpq

EXTRA_CLEAN = $(SRCS:.cpp=.d) results output_iso regression.diffs regression.out

include $(PGXS)

# The LLVM bitcode compile ignores PG_CXXFLAGS: give it the same C++ standard.
COMPILE.cxx.bc += $(CXX_STD) -Wno-register

-include $(SRCS:.cpp=.d)

# Version must agree across the control file, this Makefile and META.json.
.PHONY: check-versions
check-versions:
	@grep -q "default_version = '$(EXTVERSION)'" extension/runstore.control || { echo "control file version != $(EXTVERSION)"; exit 1; }
	@grep -q '"version": "$(EXTVERSION)"' META.json || { echo "META.json version != $(EXTVERSION)"; exit 1; }
	@test -f extension/sql/runstore--$(EXTVERSION).sql || { echo "missing extension/sql/runstore--$(EXTVERSION).sql"; exit 1; }
	@# One full install script, the current one; released ones live in tests/upgrade/old_versions.
	@for f in extension/sql/runstore--*.sql; do v=$${f#extension/sql/runstore--}; v=$${v%.sql}; \
	  case $$v in *--*|$(EXTVERSION)) ;; *) echo "$$f: a full install script of an old version (move it to tests/upgrade/old_versions)"; exit 1 ;; esac; done
	@echo "versions agree: $(EXTVERSION)"

# One formatting truth: clang-format with the .clang-format nearest each file
# (the extension's at the top, client/'s for client/, bench/ and tests/).
FORMAT_SOURCES = $(shell find extension client bench tests -name '*.cpp' -o -name '*.hpp' | sort)
.PHONY: format format-check
format:
	clang-format -i $(FORMAT_SOURCES)
format-check:
	@clang-format --dry-run --Werror $(FORMAT_SOURCES)
	@echo "every C++ source is formatted"

# Every sql/*.sql file must be in REGRESS, or it would silently never run.
.PHONY: check-schedule
check-schedule:
	@for f in sql/*.sql; do t=$$(basename $$f .sql); echo " $(REGRESS) " | grep -q " $$t " || { echo "sql/$$t.sql is not in REGRESS"; exit 1; }; done
	@echo "every sql/*.sql is scheduled"
