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
OBJS = \
	src/oms.o \
	src/spi_util.o \
	src/idempotency.o \
	src/inventory.o \
	src/lines.o \
	src/events.o \
	src/notifier.o \
	src/transitions.o \
	src/reserve.o \
	src/orders.o \
	src/fulfillment.o \
	src/payments.o \
	src/returns.o \
	src/purchasing.o \
	src/reorder.o \
	src/guards.o \
	src/references.o

# The install script is the SQL of each concern, concatenated in this order.
SQL_PARTS = \
	src/sql/00_schema.sql \
	src/sql/10_inventory.sql \
	src/sql/20_transitions.sql \
	src/sql/30_events.sql \
	src/sql/40_orders.sql \
	src/sql/50_reserve.sql \
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
	src/sql/99_privileges.sql

DATA_built = $(EXTENSION)--$(EXTVERSION).sql
EXTRA_CLEAN = $(EXTENSION)--$(EXTVERSION).sql

REGRESS = $(sort $(basename $(notdir $(wildcard sql/*.sql))))
REGRESS_OPTS = --inputdir=.
ISOLATION = $(sort $(basename $(notdir $(wildcard test/specs/*.spec))))
ISOLATION_OPTS = --inputdir=test
TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl

PG_CPPFLAGS = -I$(srcdir)/src -DOMS_VERSION=\"$(EXTVERSION)\"
# Warnings are errors; unused-parameter is off because every V1 function and
# trigger takes fcinfo whether or not it reads it.
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PARTS) $(EXTENSION).control Makefile
	{ printf '%s\n' '-- $(EXTENSION) $(EXTVERSION): generated from src/sql/*.sql by make; do not edit'; \
	  printf '%s\n' '\echo Use "CREATE EXTENSION $(EXTENSION)" to load this file. \quit'; \
	  cat $(SQL_PARTS); } > $@

$(OBJS): src/oms.h
src/events.o src/transitions.o: src/events.h
src/events.o src/notifier.o src/oms.o: src/notifier.h
src/transitions.o src/fulfillment.o src/returns.o src/oms.o: src/transitions.h
src/lines.o src/reserve.o src/orders.o src/fulfillment.o src/returns.o: src/lines.h
src/reserve.o src/orders.o src/fulfillment.o src/returns.o: src/reserve.h src/events.h
src/orders.o src/fulfillment.o src/returns.o: src/fulfillment.h
src/returns.o src/oms.o: src/returns.h
src/returns.o: src/payments.h
src/orders.o src/fulfillment.o: src/orders.h
src/idempotency.o src/orders.o src/payments.o: src/idempotency.h
src/payments.o: src/payments.h src/events.h src/lines.h
src/purchasing.o src/reorder.o: src/reorder.h src/events.h src/lines.h
src/purchasing.o src/oms.o: src/purchasing.h

.PHONY: demo test report
demo:
	bash scripts/demo.sh
test:
	bash scripts/test.sh
REPORT_DB ?= $(or $(PGDATABASE),postgres)
REPORT_DIR ?= report
report:
	bash bench/report.sh -o $(REPORT_DIR) $(REPORT_DB)
