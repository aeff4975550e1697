/*-------------------------------------------------------------------------
 *
 * idempotency.c
 *	  The idempotency key of the API functions written in SQL or PL/pgSQL
 *	  (the purchase order moves, create_shipments): the claim and the store
 *	  of engine/idempotency.c as two internal SQL functions.  The C API
 *	  functions call oms_idem_call() directly.
 *
 * Both are EXECUTE'd only by the extension's SECURITY DEFINER functions:
 * no role is granted them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "base/oms.h"
#include "engine/idempotency.h"

PG_FUNCTION_INFO_V1(oms_idempotency_claim);

/*
 * idempotency_claim(scope, key, request): NULL when the key is new (claimed
 * by this transaction from now on), {"result": first} when a call with the
 * same request used it; OM004 for another request.
 */
Datum
oms_idempotency_claim(PG_FUNCTION_ARGS)
{
	char	   *scope = oms_text_arg(fcinfo, 0, "scope", true);
	char	   *key = oms_text_arg(fcinfo, 1, "idempotency_key", true);
	char	   *request = oms_text_arg(fcinfo, 2, "request", true);
	char	   *first;
	OmsIdemOutcome claim;
	StringInfoData buf;

	oms_spi_connect();
	claim = oms_idem_claim_text(scope, key, request, &first);
	oms_spi_finish();
	if (claim == OMS_IDEM_NEW)
		PG_RETURN_NULL();
	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"result\": ");
	if (first == NULL)
		appendStringInfoString(&buf, "null");
	else
		escape_json(&buf, first);
	appendStringInfoChar(&buf, '}');
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

PG_FUNCTION_INFO_V1(oms_idempotency_store);

/* idempotency_store(scope, key, result): the first result of a claimed key. */
Datum
oms_idempotency_store(PG_FUNCTION_ARGS)
{
	char	   *scope = oms_text_arg(fcinfo, 0, "scope", true);
	char	   *key = oms_text_arg(fcinfo, 1, "idempotency_key", true);
	char	   *result = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));

	oms_spi_connect();
	if (!oms_idem_store_text(scope, key, result))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("idempotency key \"%s\" of scope \"%s\" was not claimed", key, scope),
				 errhint("Call oms.idempotency_claim() first, in the same transaction.")));
	oms_spi_finish();
	PG_RETURN_VOID();
}
