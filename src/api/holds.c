/*-------------------------------------------------------------------------
 *
 * holds.c
 *	  The cart-hold API: hold_stock reserves stock for a cart before an
 *	  order exists, release_hold gives it back, expire_reservations (the
 *	  pg_cron job) releases the holds whose time ran out.  place_order
 *	  takes a hold over (engine/placement.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "api/holds.h"
#include "base/jsonb_input.h"
#include "base/oms.h"
#include "engine/allocation.h"
#include "engine/catalog.h"
#include "engine/ledger.h"
#include "engine/idempotency.h"

/* Settings (defined by module init, oms.c). */
int			oms_hold_ttl = 900;

static int64 hold_lock(const char *hold_ref, Interval *ttl, TimestampTz *expires_at);
static int64 release_hold_by_id(int64 hold_id, const char *state, OmsLevels *ls);

static OmsPlan plan_hold_upsert = {
	"INSERT INTO oms.cart_hold AS h (hold_ref, expires_at) VALUES ($1, pg_catalog.now() + $2)"
	" ON CONFLICT (hold_ref) DO UPDATE SET expires_at = EXCLUDED.expires_at, state = 'active'"
	" WHERE h.state <> 'converted' RETURNING h.hold_id, h.expires_at",
	2, {TEXTOID, INTERVALOID}
};
static OmsPlan plan_hold_by_ref = {
	"SELECT hold_id, state FROM oms.cart_hold WHERE hold_ref = $1 FOR UPDATE",
	1, {TEXTOID}
};
static OmsPlan plan_hold_state = {
	"UPDATE oms.cart_hold SET state = $2 WHERE hold_id = $1",
	2, {INT8OID, TEXTOID}
};
static OmsPlan plan_expired_holds = {
	"SELECT hold_id FROM oms.cart_hold WHERE state = 'active' AND expires_at <= pg_catalog.now()"
	" ORDER BY hold_id LIMIT 1000 FOR UPDATE SKIP LOCKED",
	0, {InvalidOid}
};

/* ----------------------------------------------------------------
 * Cart holds
 * ----------------------------------------------------------------
 */

/* Create or refresh the hold row (locking it); error if already converted. */
static int64
hold_lock(const char *hold_ref, Interval *ttl, TimestampTz *expires_at)
{
	Datum		args[2];
	bool		isnull;
	int64		hold_id;

	args[0] = CStringGetTextDatum(hold_ref);
	args[1] = IntervalPGetDatum(ttl);
	if (oms_plan_exec(&plan_hold_upsert, args, NULL, false, 0, SPI_OK_INSERT_RETURNING) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_NOT_EDITABLE),
				 errmsg("cart hold \"%s\" was already converted into an order", hold_ref)));
	hold_id = oms_spi_int64(0, 1, &isnull);
	*expires_at = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0],
													SPI_tuptable->tupdesc, 2, &isnull));
	return hold_id;
}

PG_FUNCTION_INFO_V1(oms_hold_stock);

/* The hold's time to live: the argument, else the setting; within the setting's bounds. */
static Interval *
hold_ttl_arg(FunctionCallInfo fcinfo, int argno)
{
	Interval   *ttl;
	Interval   *zero = palloc0(sizeof(Interval));
	Interval   *most = palloc0(sizeof(Interval));

	if (PG_ARGISNULL(argno))
	{
		ttl = palloc0(sizeof(Interval));
		ttl->time = (int64) oms_hold_ttl * USECS_PER_SEC;
		return ttl;
	}
	ttl = PG_GETARG_INTERVAL_P(argno);
	most->day = OMS_HOLD_TTL_MAX_DAYS;
	if (DatumGetBool(DirectFunctionCall2(interval_le, IntervalPGetDatum(ttl), IntervalPGetDatum(zero))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ttl must be positive, got %s",
						DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(ttl))))));
	if (DatumGetBool(DirectFunctionCall2(interval_gt, IntervalPGetDatum(ttl), IntervalPGetDatum(most))))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("ttl %s is out of range",
						DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(ttl)))),
				 errdetail("A cart hold lasts at most %d days, like the setting oms.hold_ttl.",
						   OMS_HOLD_TTL_MAX_DAYS)));
	return ttl;
}

/* Lock the levels of the items wanted and of those the hold had. */
static void
lock_hold_levels(int64 hold_id, int nd, const OmsDemand *d, OmsLevels *ls)
{
	int64	   *old_items;
	int			nold = oms_hold_items(hold_id, &old_items);
	int64	   *lock_items = palloc(sizeof(int64) * (nd + nold + 1));
	int			nlock = 0;
	int			i;

	for (i = 0; i < nd; i++)
		lock_items[nlock++] = d[i].item_id;
	for (i = 0; i < nold; i++)
		lock_items[nlock++] = old_items[i];
	oms_levels_lock(nlock, lock_items, ls);
}

/*
 * hold_stock(hold_ref, lines, ttl): hold what is available for a cart.  A
 * deny-policy item short of stock fails the call; other items hold what
 * there is.  Holding the same cart again replaces its reservations.
 */
Datum
oms_hold_stock(PG_FUNCTION_ARGS)
{
	char	   *hold_ref;
	Interval   *ttl;
	OmsLineInput *in;
	int			nin;
	OmsResolved *res;
	OmsDemand  *d;
	int			nd;
	int64		hold_id;
	TimestampTz expires_at;
	OmsLevels	ls;
	OmsAlloc   *allocs;
	int			nallocs;
	int			i;

	if (OMS_IDEM_KEYED(fcinfo, 3))
		return oms_idem_call(fcinfo, "hold_stock", 3, 0, oms_hold_stock);

	hold_ref = oms_text_arg(fcinfo, 0, "hold_ref", true);
	if (PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("lines must not be null")));
	ttl = hold_ttl_arg(fcinfo, 2);
	if (hold_ref[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("hold_ref must not be empty")));
	nin = oms_parse_lines(PG_GETARG_JSONB_P(1), "lines", false, &in);

	oms_spi_connect();
	res = oms_resolve_lines(nin, in);
	nd = oms_demand_of(nin, in, res, &d);
	hold_id = hold_lock(hold_ref, ttl, &expires_at);
	lock_hold_levels(hold_id, nd, d, &ls);
	(void) oms_release_hold_rows(&ls, hold_id, "released", NULL, NULL);

	nallocs = oms_allocate(&ls, nd, d, OMS_STRATEGY_PRIORITY, true, NULL, &allocs);
	for (i = 0; i < nd; i++)
		if (d[i].allocated < d[i].qty && oms_demand_policy(res, nin, d[i].item_id) == 'd')
			ereport(ERROR,
					(errcode(ERRCODE_OMS_INSUFFICIENT_STOCK),
					 errmsg("insufficient stock of sku \"%s\": wanted " INT64_FORMAT ", available " INT64_FORMAT,
							oms_item_sku(d[i].item_id), d[i].qty, d[i].allocated),
					 errdetail("The cart hold \"%s\" was not changed.", hold_ref)));
	oms_reservations_insert(nallocs, NULL, hold_id, allocs, expires_at);
	oms_levels_flush(&ls);
	oms_spi_finish();
	PG_RETURN_INT64(hold_id);
}

PG_FUNCTION_INFO_V1(oms_release_hold);

Datum
oms_release_hold(PG_FUNCTION_ARGS)
{
	char	   *hold_ref;
	Datum		arg[1];
	int64		hold_id;
	int64		released;
	bool		isnull;
	OmsLevels	ls;

	if (OMS_IDEM_KEYED(fcinfo, 1))
		return oms_idem_call(fcinfo, "release_hold", 1, 0, oms_release_hold);

	hold_ref = oms_text_arg(fcinfo, 0, "hold_ref", true);

	oms_spi_connect();
	arg[0] = CStringGetTextDatum(hold_ref);
	if (oms_plan_exec(&plan_hold_by_ref, arg, NULL, false, 1, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
				 errmsg("unknown cart hold \"%s\"", hold_ref)));
	hold_id = oms_spi_int64(0, 1, &isnull);
	if (strcmp(oms_spi_text(0, 2), "converted") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_NOT_EDITABLE),
				 errmsg("cart hold \"%s\" was already converted into an order", hold_ref),
				 errdetail("Its units belong to the order now."),
				 errhint("Cancel the order's lines with oms.cancel_order() instead.")));
	released = release_hold_by_id(hold_id, "released", &ls);
	oms_spi_finish();
	PG_RETURN_INT64(released);
}

/*
 * Release a (locked) hold's reservations and set its state.  Locks the
 * levels of its items itself.  Caller is connected to SPI.
 */
static int64
release_hold_by_id(int64 hold_id, const char *state, OmsLevels *ls)
{
	Datum		arg[2];
	int			n;
	int64	   *items;
	int64		released;

	n = oms_hold_items(hold_id, &items);
	oms_levels_lock(n, items, ls);
	released = oms_release_hold_rows(ls, hold_id, state, NULL, NULL);
	arg[0] = Int64GetDatum(hold_id);
	oms_levels_flush(ls);
	arg[1] = CStringGetTextDatum(state);
	oms_plan_exec(&plan_hold_state, arg, NULL, false, 0, SPI_OK_UPDATE);
	return released;
}

PG_FUNCTION_INFO_V1(oms_expire_reservations);

/*
 * Release every expired cart hold, skipping holds another session has
 * locked (an order taking one over); the pg_cron job runs this.
 */
Datum
oms_expire_reservations(PG_FUNCTION_ARGS)
{
	int64		total = 0;
	int			n;
	int			i;
	int64	   *holds;
	bool		isnull;

	oms_spi_connect();
	n = oms_plan_exec(&plan_expired_holds, NULL, NULL, false, 0, SPI_OK_SELECT);
	holds = palloc(sizeof(int64) * Max(n, 1));
	for (i = 0; i < n; i++)
		holds[i] = oms_spi_int64(i, 1, &isnull);
	for (i = 0; i < n; i++)
	{
		OmsLevels	ls;

		CHECK_FOR_INTERRUPTS();
		total = oms_add_qty(total, release_hold_by_id(holds[i], "expired", &ls), "released");
		/* units of expired holds the level lock already gave back */
		total = oms_add_qty(total, ls.expired, "released");
	}
	oms_spi_finish();
	PG_RETURN_INT64(total);
}
