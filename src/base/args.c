/*-------------------------------------------------------------------------
 *
 * args.c
 *	  Argument checks shared by the SQL-callable functions: a quantity that
 *	  must be positive, a text argument that may or must not be NULL.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "base/oms.h"

void
oms_require_positive(int64 qty, const char *argname)
{
	if (qty <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be greater than zero, got " INT64_FORMAT, argname, qty)));
}

/*
 * Text argument n as a C string: NULL when the SQL value is NULL and the
 * argument is optional, 22023 naming it when it is required.
 */
char *
oms_text_arg(FunctionCallInfo fcinfo, int n, const char *argname, bool required)
{
	if (PG_ARGISNULL(n))
	{
		if (required)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must not be null", argname)));
		return NULL;
	}
	return text_to_cstring(PG_GETARG_TEXT_PP(n));
}
