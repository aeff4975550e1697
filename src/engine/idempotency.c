/*-------------------------------------------------------------------------
 *
 * idempotency.c
 *	  Claiming and answering idempotency keys (oms.idempotency_key), shared
 *	  by every API call that takes a key: see idempotency.h.
 *
 * The claim is INSERT ... ON CONFLICT DO NOTHING: the row lock of a
 * concurrent uncommitted claim makes a retry wait for the first call's
 * transaction, so a retry racing its original answers with the original's
 * result (or claims the key itself if the original rolled back).  Only
 * md5(request) is stored.
 *
 * oms_idem_call() is the same claim for every other mutating API function,
 * wrapped around the function itself: scope = the SQL function's name,
 * request = its arguments' text forms, result = {"result": its text form}.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "base/oms.h"
#include "engine/idempotency.h"

static OmsPlan plan_idem_claim = {
	"INSERT INTO oms.idempotency_key (scope, key, request_hash)"
	" VALUES ($1, $2, pg_catalog.md5($3))"
	" ON CONFLICT DO NOTHING RETURNING 1",
	3, {TEXTOID, TEXTOID, TEXTOID}
};
static OmsPlan plan_idem_read = {
	"SELECT request_hash = pg_catalog.md5($3), (result->>$4)::bigint"
	" FROM oms.idempotency_key WHERE scope = $1 AND key = $2",
	4, {TEXTOID, TEXTOID, TEXTOID, TEXTOID}
};
static OmsPlan plan_idem_store = {
	"UPDATE oms.idempotency_key SET result = pg_catalog.jsonb_build_object($3::text, $4::bigint)"
	" WHERE scope = $1 AND key = $2",
	4, {TEXTOID, TEXTOID, TEXTOID, INT8OID}
};

OmsIdemOutcome
oms_idem_claim(const char *scope, const char *key, const char *request,
			   const char *result_field, int64 *first_id)
{
	Datum		args[4];
	bool		isnull;
	bool		same;

	args[0] = CStringGetTextDatum(scope);
	args[1] = CStringGetTextDatum(key);
	args[2] = CStringGetTextDatum(request);
	args[3] = CStringGetTextDatum(result_field);
	*first_id = 0;
	if (oms_plan_exec(&plan_idem_claim, args, NULL, false, 0, SPI_OK_INSERT_RETURNING) == 1)
		return OMS_IDEM_NEW;

	if (oms_plan_exec(&plan_idem_read, args, NULL, false, 1, SPI_OK_SELECT) == 0)
		elog(ERROR, "idempotency key \"%s\" of scope \"%s\" vanished", key, scope);
	same = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	*first_id = oms_spi_int64(0, 2, &isnull);
	return same ? OMS_IDEM_REPLAY : OMS_IDEM_CONFLICT;
}

void
oms_idem_store(const char *scope, const char *key, const char *result_field, int64 id)
{
	Datum		args[4];

	args[0] = CStringGetTextDatum(scope);
	args[1] = CStringGetTextDatum(key);
	args[2] = CStringGetTextDatum(result_field);
	args[3] = Int64GetDatum(id);
	if (oms_plan_exec(&plan_idem_store, args, NULL, false, 0, SPI_OK_UPDATE) != 1)
		elog(ERROR, "idempotency key \"%s\" of scope \"%s\" vanished", key, scope);
}

/* ----------------------------------------------------------------
 * oms_idem_call: the key of any API function (idempotency.h)
 * ----------------------------------------------------------------
 */
static OmsPlan plan_call_read = {
	"SELECT request_hash = pg_catalog.md5($3), result->>'result'"
	" FROM oms.idempotency_key WHERE scope = $1 AND key = $2",
	3, {TEXTOID, TEXTOID, TEXTOID}
};
static OmsPlan plan_call_store = {
	"UPDATE oms.idempotency_key SET result = pg_catalog.jsonb_build_object('result', $3::text)"
	" WHERE scope = $1 AND key = $2",
	3, {TEXTOID, TEXTOID, TEXTOID}
};

/*
 * The request a key stands for: every argument but the key and the
 * unhashed ones, each as its type's text form (jsonb's is canonical),
 * length-prefixed so that no two argument lists render alike.
 */
static char *
call_request(FunctionCallInfo fcinfo, Oid *argtypes, int nargs, int key_arg, uint32 unhashed)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < nargs && i < fcinfo->nargs; i++)
	{
		Oid			typout;
		bool		varlena;
		char	   *v;

		if (i == key_arg || (i < 32 && (unhashed & (UINT32_C(1) << i)) != 0))
		{
			appendStringInfoString(&buf, "-;");
			continue;
		}
		if (fcinfo->args[i].isnull)
		{
			appendStringInfoString(&buf, "N;");
			continue;
		}
		getTypeOutputInfo(argtypes[i], &typout, &varlena);
		v = OidOutputFunctionCall(typout, fcinfo->args[i].value);
		appendStringInfo(&buf, "%zu:%s;", strlen(v), v);
	}
	return buf.data;
}

/*
 * Claim key in scope for request, with the result kept as text: NEW, or
 * REPLAY with *first the first call's result (NULL for a NULL result), or
 * OM004.  Callers are connected to SPI.
 */
OmsIdemOutcome
oms_idem_claim_text(const char *scope, const char *key, const char *request, char **first)
{
	Datum		args[3];
	bool		isnull;
	bool		same;

	if (key[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("idempotency_key must not be empty"),
				 errhint("Pass NULL for a call without a key.")));
	args[0] = CStringGetTextDatum(scope);
	args[1] = CStringGetTextDatum(key);
	args[2] = CStringGetTextDatum(request);
	*first = NULL;
	if (oms_plan_exec(&plan_idem_claim, args, NULL, false, 0, SPI_OK_INSERT_RETURNING) == 1)
		return OMS_IDEM_NEW;
	/* used before: by a committed call, or earlier in this transaction */
	if (oms_plan_exec(&plan_call_read, args, NULL, false, 1, SPI_OK_SELECT) == 0)
		elog(ERROR, "idempotency key \"%s\" of scope \"%s\" vanished", key, scope);
	same = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	*first = oms_spi_text(0, 2);
	if (!same)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_IDEMPOTENCY_CONFLICT),
				 errmsg("idempotency key \"%s\" was already used with different arguments", key),
				 errdetail("The first call of %s with this key returned %s.", scope,
						   *first ? *first : "NULL"),
				 errhint("Use a new key for a new call.")));
	return OMS_IDEM_REPLAY;
}

/*
 * Store the text form of a call's result (NULL for NULL) on its key.  False
 * when no such key was claimed.
 */
bool
oms_idem_store_text(const char *scope, const char *key, const char *result)
{
	Datum		args[3];

	args[0] = CStringGetTextDatum(scope);
	args[1] = CStringGetTextDatum(key);
	args[2] = result ? CStringGetTextDatum(result) : (Datum) 0;
	return oms_plan_exec(&plan_call_store, args, result ? NULL : "  n", false, 0, SPI_OK_UPDATE) == 1;
}

Datum
oms_idem_call(FunctionCallInfo fcinfo, const char *scope, int key_arg, uint32 unhashed,
			  PGFunction body)
{
	char	   *key;
	char	   *request;
	Oid		   *argtypes;
	int			nargs;
	Oid			rettype;
	char	   *first = NULL;
	OmsIdemOutcome claim;
	Datum		result;
	bool		result_null;

	Assert(key_arg < fcinfo->nargs && !fcinfo->args[key_arg].isnull);
	key = oms_check_text_length(TextDatumGetCString(fcinfo->args[key_arg].value),
								"idempotency_key");
	rettype = get_func_signature(fcinfo->flinfo->fn_oid, &argtypes, &nargs);
	request = call_request(fcinfo, argtypes, nargs, key_arg, unhashed);

	oms_spi_connect();
	claim = oms_idem_claim_text(scope, key, request, &first);
	oms_spi_finish();
	if (claim == OMS_IDEM_REPLAY)
	{
		Oid			typin;
		Oid			typioparam;

		if (first == NULL)
		{
			fcinfo->isnull = true;
			return (Datum) 0;
		}
		getTypeInputInfo(rettype, &typin, &typioparam);
		return OidInputFunctionCall(typin, first, typioparam, -1);
	}

	/* the key is ours: do the work as a call without a key */
	fcinfo->args[key_arg].isnull = true;
	fcinfo->isnull = false;
	result = body(fcinfo);
	result_null = fcinfo->isnull;
	fcinfo->args[key_arg].isnull = false;

	if (!result_null)
	{
		Oid			typout;
		bool		varlena;

		getTypeOutputInfo(rettype, &typout, &varlena);
		first = OidOutputFunctionCall(typout, result);
	}
	oms_spi_connect();
	if (!oms_idem_store_text(scope, key, first))
		elog(ERROR, "idempotency key \"%s\" of scope \"%s\" vanished", key, scope);
	oms_spi_finish();
	fcinfo->isnull = result_null;
	return result;
}
