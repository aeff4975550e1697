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
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

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
