/*-------------------------------------------------------------------------
 *
 * oms.h
 *	  The ground floor shared by every oms C file: the business SQLSTATEs,
 *	  checked arithmetic on quantities, the saved-plan SPI helper and the
 *	  guard that lets only the engine write stock buckets.
 *
 * Every business error of the extension uses the SQLSTATE class "OM",
 * defined here and nowhere else; README.md documents each code.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OMS_H
#define OMS_H

#include "postgres.h"

#include "common/int.h"
#include "fmgr.h"
#include "executor/spi.h"

/* ----------
 * Business SQLSTATEs (class OM).  Input errors use the standard codes:
 * 22023 invalid_parameter_value, 22003 numeric_value_out_of_range, 23xxx.
 * ----------
 */
/* not enough stock (available, on hand or damaged) for what was asked */
#define ERRCODE_OMS_INSUFFICIENT_STOCK		MAKE_SQLSTATE('O','M','0','0','1')
/* a status move the machine's transition table does not allow */
#define ERRCODE_OMS_INVALID_TRANSITION		MAKE_SQLSTATE('O','M','0','0','2')
/* a sku, location, order or other key that does not exist */
#define ERRCODE_OMS_UNKNOWN_REFERENCE		MAKE_SQLSTATE('O','M','0','0','3')
/* an idempotency key reused with different arguments */
#define ERRCODE_OMS_IDEMPOTENCY_CONFLICT	MAKE_SQLSTATE('O','M','0','0','4')
/* a quantity above what is left (to ship, cancel, return, refund, receive) */
#define ERRCODE_OMS_EXCEEDS_REMAINING		MAKE_SQLSTATE('O','M','0','0','5')
/* an order that can no longer be edited */
#define ERRCODE_OMS_NOT_EDITABLE			MAKE_SQLSTATE('O','M','0','0','6')
/* a stock change that would leave fewer units on hand than are reserved */
#define ERRCODE_OMS_RESERVED_STOCK			MAKE_SQLSTATE('O','M','0','0','7')
/* a write that bypasses the inventory ledger or rewrites its history */
#define ERRCODE_OMS_LEDGER_VIOLATION		MAKE_SQLSTATE('O','M','0','0','8')
/* an order whose payment requirement is not met (it cannot ship yet) */
#define ERRCODE_OMS_PAYMENT_REQUIRED		MAKE_SQLSTATE('O','M','0','0','9')
/* an amount in another currency than its order's */
#define ERRCODE_OMS_CURRENCY_MISMATCH		MAKE_SQLSTATE('O','M','0','1','0')
/* a return asked for after the return window closed */
#define ERRCODE_OMS_RETURN_WINDOW_CLOSED	MAKE_SQLSTATE('O','M','0','1','1')
/* a direct write of an engine-owned table or column, or a status move with
 * side effects made by a plain UPDATE: the message names the API to call */
#define ERRCODE_OMS_USE_API					MAKE_SQLSTATE('O','M','0','1','2')
/* a serial that is unknown, not where the operation needs it (in stock at
 * the location, assigned to another shipment, shipped on the order and not
 * returned), or serials missing for the units of a serialized item */
#define ERRCODE_OMS_SERIAL_MISMATCH			MAKE_SQLSTATE('O','M','0','1','3')

/* ----------
 * Checked arithmetic on quantities (bigint).  Never wraps: raises 22003
 * naming what was being computed.
 * ----------
 */
static inline int64
oms_add_qty(int64 a, int64 b, const char *what)
{
	int64		r;

	if (pg_add_s64_overflow(a, b, &r))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s overflows: " INT64_FORMAT " + " INT64_FORMAT " is out of range for bigint",
						what, a, b)));
	return r;
}

static inline int64
oms_sub_qty(int64 a, int64 b, const char *what)
{
	int64		r;

	if (pg_sub_s64_overflow(a, b, &r))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s overflows: " INT64_FORMAT " - " INT64_FORMAT " is out of range for bigint",
						what, a, b)));
	return r;
}

static inline int64
oms_mul_qty(int64 a, int64 b, const char *what)
{
	int64		r;

	if (pg_mul_s64_overflow(a, b, &r))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s overflows: " INT64_FORMAT " * " INT64_FORMAT " is out of range for bigint",
						what, a, b)));
	return r;
}

/* ----------
 * Argument checks (args.c).
 * ----------
 */
/* Raise 22023 unless qty > 0. */
extern void oms_require_positive(int64 qty, const char *argname);

/* Text argument n as a C string; a NULL is 22023 naming it when required. */
extern char *oms_text_arg(FunctionCallInfo fcinfo, int n, const char *argname, bool required);
/* Longest key or reference a text argument may be (free text is unbounded). */
#define OMS_MAX_KEY_LENGTH 255
extern char *oms_check_text_length(char *s, const char *argname);

/* ----------
 * Saved-plan SPI helper (spi_plan.c).
 *
 * A OmsPlan is declared static in the file that uses it; oms_plan_exec()
 * prepares it on first use, keeps it for the life of the backend and
 * checks the SPI result against the expected code.  Callers must be inside
 * SPI_connect()/SPI_finish().
 * ----------
 */
typedef struct OmsPlan
{
	const char *sql;
	int			nargs;
	Oid			argtypes[16];
	SPIPlanPtr	plan;
} OmsPlan;

extern int	oms_plan_exec(OmsPlan *p, Datum *values, const char *nulls,
						  bool read_only, long count, int expected);
extern SPIPlanPtr oms_plan_prepare(OmsPlan *p);
extern void oms_spi_connect(void);
extern void oms_spi_finish(void);

/*
 * The extension's own tables (spi_plan.c).  The engine writes tables that
 * callers may only read (status history, events) as their owner.
 */
typedef struct OmsSavedUser
{
	Oid			userid;
	int			sec_context;
} OmsSavedUser;

extern Oid	oms_relid(const char *relname);
extern Oid	oms_relation_owner(Oid relid);
extern void oms_become_owner(Oid owner, OmsSavedUser *save);
extern void oms_restore_user(const OmsSavedUser *save);

/* An int8[] datum of n values (for = ANY($1) and unnest parameters). */
extern Datum oms_int8_array(int n, const int64 *v);

/* Whether x is among the first n values of v. */
static inline bool
oms_int64_in(const int64 *v, int n, int64 x)
{
	int			i;

	for (i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* Column col (1-based) of row row (0-based) of SPI_tuptable as int64. */
extern int64 oms_spi_int64(int row, int col, bool *isnull);
/* The same column as a C string copied out of the SPI context (NULL for NULL). */
extern char *oms_spi_text(int row, int col);

/*
 * Column col (by name) of a trigger's tuple (spi_plan.c): as int64, 0 with
 * *isnull set for a NULL; as text, NULL for a NULL.
 */
extern int64 oms_tuple_int64(HeapTuple tuple, TupleDesc desc, const char *col, bool *isnull);
extern char *oms_tuple_text(HeapTuple tuple, TupleDesc desc, const char *col);

/* ----------
 * Engine guard (spi_plan.c).  The stock buckets on_hand, damaged, reserved
 * and incoming of oms.inventory_level, and the engine-owned tables
 * (engine/guards.c), may only change while an engine function holds this
 * guard; their triggers refuse every other write.  oms_plan_exec() holds it
 * for every statement it runs, so every write of the C engine is the
 * engine's.  oms_engine_reset() is for the transaction callbacks.
 * ----------
 */
extern void oms_engine_enter(void);
extern void oms_engine_leave(void);
extern bool oms_engine_active(void);
extern void oms_engine_reset(void);

#endif							/* OMS_H */
