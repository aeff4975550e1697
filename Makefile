# Makefile for the oms extension (PGXS).
#
#   make            build the module and the install script
#   make install    install into the PostgreSQL found by pg_config
#   make demo       scripts/demo.sh: set up a throwaway cluster and walk an order's life
#   make test       scripts/test.sh: every test layer against a throwaway cluster
#   make report     bench/report.sh: PNG charts of the KPI views of REPORT_DB (PG* variables)

EXTENSION = oms
# The one version source is default_version in oms.control.
EXTVERSION := $(shell sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" $(EXTENSION).control)

MODULE_big = oms
# Three layers, includes pointing down only: api/ (one file per SQL surface)
# over engine/ (the order model, stock, ledgers, status machines, events)
# over base/ (SQLSTATEs, checked arithmetic, SPI, argument and jsonb input).
# src/oms.c is the module init above them all.
OBJS = \
	src/oms.o \
	src/base/args.o \
	src/base/spi_plan.o \
	src/base/jsonb_input.o \
	src/engine/idempotency.o \
	src/engine/ledger.o \
	src/engine/events.o \
	src/engine/notifier.o \
	src/engine/transitions.o \
	src/engine/catalog.o \
	src/engine/order.o \
	src/engine/placement.o \
	src/engine/allocation.o \
	src/engine/backorder.o \
	src/engine/payment_ledger.o \
	src/engine/reorder.o \
	src/engine/purchase_orders.o \
	src/engine/guards.o \
	src/engine/references.o \
	src/engine/serials.o \
	src/engine/kpi_capture.o \
	src/api/inventory.o \
	src/api/orders.o \
	src/api/holds.o \
	src/api/fulfillment.o \
	src/api/payments.o \
	src/api/returns.o \
	src/api/purchasing.o \
	src/api/reorder.o \
	src/api/serials.o \
	src/api/idempotency.o \
	src/api/reroute.o \
	src/api/notifications.o

# The install script is the SQL of each concern, concatenated in this order.
SQL_PARTS = \
	src/sql/00_schema.sql \
	src/sql/10_inventory.sql \
	src/sql/20_transitions.sql \
	src/sql/30_events.sql \
	src/sql/40_orders.sql \
	src/sql/50_reserve.sql \
	src/sql/54_reroute.sql \
	src/sql/60_fulfillment.sql \
	src/sql/62_payments.sql \
	src/sql/66_returns.sql \
	src/sql/70_purchasing.sql \
	src/sql/72_reorder.sql \
	src/sql/74_forecast.sql \
	src/sql/80_jobs.sql \
	src/sql/90_views.sql \
	src/sql/92_tracking.sql \
	src/sql/93_analytics.sql \
	src/sql/95_guards.sql \
	src/sql/96_references.sql \
	src/sql/97_serials.sql \
	src/sql/97_import.sql \
	src/sql/97_import_shopify.sql \
	src/sql/97_import_woocommerce.sql \
	src/sql/97_import_amazon.sql \
	src/sql/97_notifications.sql \
	src/sql/99_privileges.sql

DATA_built = $(EXTENSION)--$(EXTVERSION).sql
EXTRA_CLEAN = $(EXTENSION)--$(EXTVERSION).sql $(OBJS:.o=.d)

REGRESS = $(sort $(basename $(notdir $(wildcard sql/*.sql))))
REGRESS_OPTS = --inputdir=.
ISOLATION = $(sort $(basename $(notdir $(wildcard test/specs/*.spec))))
ISOLATION_OPTS = --inputdir=test
TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl

PG_CPPFLAGS = -I$(srcdir)/src -DOMS_VERSION=\"$(EXTVERSION)\"
# Warnings are errors; unused-parameter is off because every V1 function and
# trigger takes fcinfo whether or not it reads it.
# -MMD -MP: the compiler writes each object's header dependencies to
# src/.../x.d, included below, so no list of them is kept by hand.
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -MMD -MP

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PARTS) $(EXTENSION).control Makefile
	{ printf '%s\n' '-- $(EXTENSION) $(EXTVERSION): generated from src/sql/*.sql by make; do not edit'; \
	  printf '%s\n' '\echo Use "CREATE EXTENSION $(EXTENSION)" to load this file. \quit'; \
	  cat $(SQL_PARTS); } > $@

-include $(OBJS:.o=.d)

# The router (router/: oms_router, PL/Proxy in front of oms nodes; README,
# Scale-out) is built, installed and cleaned with oms.
all: router-all
install: router-install
clean: router-clean
.PHONY: router-all router-install router-clean
router-all router-install router-clean:
	$(MAKE) -C router PG_CONFIG=$(PG_CONFIG) $(patsubst router-%,%,$@)

.PHONY: demo test report
demo:
	bash scripts/demo.sh
test:
	bash scripts/test.sh
REPORT_DB ?= $(or $(PGDATABASE),postgres)
REPORT_DIR ?= report
report:
	bash bench/report.sh -o $(REPORT_DIR) $(REPORT_DB)
