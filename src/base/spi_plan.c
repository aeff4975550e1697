/*-------------------------------------------------------------------------
 *
 * spi_plan.c
 *	  Saved-plan SPI helper: prepare once per backend, execute with
 *	  parameters, check every result code, copy values out.  Also the
 *	  lookups of the extension's own tables and the switch to their owner
 *	  that the engine uses to write tables callers may only read, and the
 *	  engine guard every statement of oms_plan_exec() runs under.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "base/oms.h"

static int	engine_depth = 0;

/*
 * The engine guard (base/oms.h) is a depth counter so that engine functions
 * may nest.  Callers leave it in PG_FINALLY; module init's transaction
 * callbacks call oms_engine_reset() as a second line whenever a
 * (sub)transaction ends by abort, and at every top-level end.
 */
void
oms_engine_enter(void)
{
	engine_depth++;
}

void
oms_engine_leave(void)
{
	Assert(engine_depth > 0);
	if (engine_depth > 0)
		engine_depth--;
}

bool
oms_engine_active(void)
{
	return engine_depth > 0;
}

void
oms_engine_reset(void)
{
	engine_depth = 0;
}

void
oms_spi_connect(void)
{
	int			rc = SPI_connect();

	if (rc != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(rc));
}

void
oms_spi_finish(void)
{
	int			rc = SPI_finish();

	if (rc != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed: %s", SPI_result_code_string(rc));
}

/*
 * Prepare a saved plan on first use and return it; later calls return the
 * kept plan.  For callers that need an SPI_execute_* variant of their own.
 *
 * The plan is generic from the first call: our statements look rows up by
 * key, so a plan for the parameters' values buys nothing, and the plan
 * cache's default would plan again on every execution wherever it judges a
 * custom plan cheaper (for instance for a statement over an array
 * parameter, whose length it cannot know): planning and copying the query
 * were a third of a place_order call (bench/profile.sh).
 */
SPIPlanPtr
oms_plan_prepare(OmsPlan *p)
{
	if (p->plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare_cursor(p->sql, p->nargs, p->argtypes,
											  CURSOR_OPT_GENERIC_PLAN);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s",
				 p->sql, SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed for \"%s\"", p->sql);
		p->plan = plan;
	}
	return p->plan;
}

/*
 * Execute a saved plan, preparing it on first use, under the engine guard
 * (oms.h): the triggers of the engine-owned tables let its writes through.
 * Returns SPI_processed.
 * Any result other than "expected" is an internal error: a business rule
 * violation raises its own ereport from inside the statement.
 */
int
oms_plan_exec(OmsPlan *p, Datum *values, const char *nulls,
			  bool read_only, long count, int expected)
{
	volatile int rc = 0;

	/* every statement the engine runs writes as the engine (guards.c) */
	oms_engine_enter();
	PG_TRY();
	{
		rc = SPI_execute_plan(oms_plan_prepare(p), values, nulls, read_only, count);
	}
	PG_FINALLY();
	{
		oms_engine_leave();
	}
	PG_END_TRY();
	if (rc != expected)
		elog(ERROR, "SPI_execute_plan returned %s for \"%s\", expected %s",
			 SPI_result_code_string(rc), p->sql,
			 SPI_result_code_string(expected));
	return (int) SPI_processed;
}

int64
oms_spi_int64(int row, int col, bool *isnull)
{
	Datum		d;
	Oid			typid;

	Assert(SPI_tuptable != NULL && (uint64) row < SPI_processed);
	d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);
	if (*isnull)
		return 0;
	typid = SPI_gettypeid(SPI_tuptable->tupdesc, col);
	switch (typid)
	{
		case INT8OID:
			return DatumGetInt64(d);
		case INT4OID:
			return (int64) DatumGetInt32(d);
		case INT2OID:
			return (int64) DatumGetInt16(d);
		default:
			elog(ERROR, "column %d has type %u, expected an integer", col, typid);
	}
	return 0;					/* keep compiler quiet */
}

/*
 * Returns NULL for a SQL NULL.  The string is allocated in the memory
 * context that was current before SPI_connect, so it survives SPI_finish.
 */
char *
oms_spi_text(int row, int col)
{
	char	   *s;
	char	   *copy;
	size_t		len;

	Assert(SPI_tuptable != NULL && (uint64) row < SPI_processed);
	s = SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
	if (s == NULL)
		return NULL;
	len = strlen(s);
	copy = SPI_palloc(len + 1);
	memcpy(copy, s, len + 1);
	return copy;
}

/*
 * Column col of a trigger's tuple, by name: as int64 (0 and *isnull for a
 * NULL), or as text (NULL for a NULL).  The columns are the extension's
 * own, so a missing one is an internal error.
 */
static int
tuple_attno(TupleDesc desc, const char *col)
{
	int			attno = SPI_fnumber(desc, col);

	if (attno <= 0)
		elog(ERROR, "column \"%s\" not found", col);
	return attno;
}

int64
oms_tuple_int64(HeapTuple tuple, TupleDesc desc, const char *col, bool *isnull)
{
	Datum		d = SPI_getbinval(tuple, desc, tuple_attno(desc, col), isnull);

	return *isnull ? 0 : DatumGetInt64(d);
}

char *
oms_tuple_text(HeapTuple tuple, TupleDesc desc, const char *col)
{
	return SPI_getvalue(tuple, desc, tuple_attno(desc, col));
}

/*
 * OID of the table oms.<relname>; an error when it does not exist (the
 * extension is being dropped, or was never created in this database).
 */
Oid
oms_relid(const char *relname)
{
	Oid			nsp = get_namespace_oid("oms", true);
	Oid			relid = OidIsValid(nsp) ? get_relname_relid(relname, nsp) : InvalidOid;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"oms.%s\" does not exist", relname),
				 errhint("Is the oms extension installed in this database?")));
	return relid;
}

Oid
oms_relation_owner(Oid relid)
{
	HeapTuple	tp;
	Oid			owner;

	tp = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tp))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tp))->relowner;
	ReleaseSysCache(tp);
	return owner;
}

/*
 * Act as owner until oms_restore_user(), the way RI triggers do.  Only for
 * fixed statements on the extension's tables.  Their operators, functions
 * and casts are resolved through search_path like any others: what makes
 * them safe is that every SQL-callable function of the extension, trigger
 * functions included, is declared with SET search_path = pg_catalog,
 * pg_temp, so no schema a caller can write to is searched while they run
 * (sql/hostile_search_path.sql plants operators in public to prove it).
 * An error in between needs no clean-up: (sub)transaction abort restores
 * the user.
 */
void
oms_become_owner(Oid owner, OmsSavedUser *save)
{
	GetUserIdAndSecContext(&save->userid, &save->sec_context);
	SetUserIdAndSecContext(owner, save->sec_context |
						   SECURITY_LOCAL_USERID_CHANGE | SECURITY_NOFORCE_RLS);
}

void
oms_restore_user(const OmsSavedUser *save)
{
	SetUserIdAndSecContext(save->userid, save->sec_context);
}

/* An int8[] datum of n values, in the current memory context. */
Datum
oms_int8_array(int n, const int64 *v)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = Int64GetDatum(v[i]);
	return PointerGetDatum(construct_array(d, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
