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
#include "mb/pg_wchar.h"
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
	return oms_check_text_length(text_to_cstring(PG_GETARG_TEXT_PP(n)), argname);
}

/*
 * Keys and references given as text (a sku, a location, an idempotency key,
 * a tracking number, a hold reference, ...) are at most OMS_MAX_KEY_LENGTH
 * characters (README, Bounds): several are unique in a btree index, whose
 * rows hold about 2.7 kB, and a longer one failed with 54000 from the index.
 * Free text (a reason, a reference, a note) is not bounded.  Returns s.
 */
char *
oms_check_text_length(char *s, const char *argname)
{
	size_t		bytes = strlen(s);
	int			chars;

	if (bytes <= OMS_MAX_KEY_LENGTH)
		return s;				/* at most one byte per character */
	if (strcmp(argname, "reason") == 0 || strcmp(argname, "reference") == 0 ||
		strcmp(argname, "note") == 0)
		return s;
	chars = pg_mbstrlen_with_len(s, (int) Min(bytes, (size_t) PG_INT32_MAX));
	if (chars > OMS_MAX_KEY_LENGTH)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is %d characters long, more than the %d allowed", argname, chars,
						OMS_MAX_KEY_LENGTH)));
	return s;
}
