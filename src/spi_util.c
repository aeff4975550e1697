/*-------------------------------------------------------------------------
 *
 * spi_util.c
 *	  Saved-plan SPI helper: prepare once per backend, execute with
 *	  parameters, check every result code, copy values out.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include "oms.h"

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
 * Execute a saved plan, preparing it on first use.  Returns SPI_processed.
 * Any result other than "expected" is an internal error: a business rule
 * violation raises its own ereport from inside the statement.
 */
int
oms_plan_exec(OmsPlan *p, Datum *values, const char *nulls,
			  bool read_only, long count, int expected)
{
	int			rc;

	if (p->plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(p->sql, p->nargs, p->argtypes);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s",
				 p->sql, SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed for \"%s\"", p->sql);
		p->plan = plan;
	}

	rc = SPI_execute_plan(p->plan, values, nulls, read_only, count);
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
