/*-------------------------------------------------------------------------
 *
 * inventory.c
 *	  The inventory API: receive, adjust, count, transfer, damage, scrap and
 *	  restore stock, and set safety stock.  Each call writes ledger rows
 *	  (engine/ledger.c), whose trigger applies them to the level under its
 *	  row lock.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "base/oms.h"
#include "engine/ledger.h"
#include "engine/idempotency.h"

static int64 resolve_item(const char *sku);
static int64 int64_arg(FunctionCallInfo fcinfo, int n, const char *argname);

static OmsPlan plan_item_by_sku = {
	"SELECT item_id, is_bundle FROM oms.item WHERE sku = $1",
	1, {TEXTOID}
};
static OmsPlan plan_next_transfer = {
	"SELECT pg_catalog.nextval('oms.transfer_id_seq')",
	0, {InvalidOid}
};
static OmsPlan plan_set_safety = {
	"INSERT INTO oms.inventory_level AS v (item_id, location_id, safety_stock)"
	" VALUES ($1, $2, $3) ON CONFLICT (item_id, location_id)"
	" DO UPDATE SET safety_stock = EXCLUDED.safety_stock, updated_at = pg_catalog.now()"
	" RETURNING v.available",
	3, {INT8OID, INT8OID, INT8OID}
};

static int64
int64_arg(FunctionCallInfo fcinfo, int n, const char *argname)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be null", argname)));
	return PG_GETARG_INT64(n);
}

/* Caller must be connected to SPI. */
static int64
resolve_item(const char *sku)
{
	Datum		v[1] = {CStringGetTextDatum(sku)};
	bool		isnull;
	int64		item_id;
	bool		is_bundle;

	if (oms_plan_exec(&plan_item_by_sku, v, NULL, true, 1, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
				 errmsg("unknown sku \"%s\"", sku)));
	item_id = oms_spi_int64(0, 1, &isnull);
	is_bundle = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 2, &isnull));
	if (is_bundle)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sku \"%s\" is a bundle and holds no stock of its own", sku),
				 errhint("Move stock of its components instead.")));
	return item_id;
}



PG_FUNCTION_INFO_V1(oms_receive_stock);

Datum
oms_receive_stock(PG_FUNCTION_ARGS)
{
	char	   *sku = oms_text_arg(fcinfo, 0, "sku", true);
	char	   *loc = oms_text_arg(fcinfo, 1, "location", true);
	int64		qty = int64_arg(fcinfo, 2, "qty");
	char	   *reference = oms_text_arg(fcinfo, 3, "reference", false);
	int64		item_id;
	int64		location_id;
	int64		movement_id;

	if (OMS_IDEM_KEYED(fcinfo, 4))
		return oms_idem_call(fcinfo, "receive_stock", 4, 0, oms_receive_stock);

	oms_require_positive(qty, "qty");
	oms_spi_connect();
	item_id = resolve_item(sku);
	location_id = oms_location_id(loc);
	movement_id = oms_insert_movement(item_id, location_id, "receipt", qty, 0,
								  NULL, reference, 0, NULL);
	oms_spi_finish();
	PG_RETURN_INT64(movement_id);
}

PG_FUNCTION_INFO_V1(oms_adjust_stock);

Datum
oms_adjust_stock(PG_FUNCTION_ARGS)
{
	char	   *sku = oms_text_arg(fcinfo, 0, "sku", true);
	char	   *loc = oms_text_arg(fcinfo, 1, "location", true);
	int64		delta = int64_arg(fcinfo, 2, "delta");
	char	   *reason = oms_text_arg(fcinfo, 3, "reason", true);
	int64		item_id;
	int64		location_id;
	int64		movement_id;

	if (OMS_IDEM_KEYED(fcinfo, 4))
		return oms_idem_call(fcinfo, "adjust_stock", 4, 0, oms_adjust_stock);

	if (delta == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("delta must not be zero")));
	if (reason[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an adjustment needs a reason")));
	oms_spi_connect();
	item_id = resolve_item(sku);
	location_id = oms_location_id(loc);
	movement_id = oms_insert_movement(item_id, location_id, "adjustment", delta, 0,
								  reason, NULL, 0, NULL);
	oms_spi_finish();
	PG_RETURN_INT64(movement_id);
}

PG_FUNCTION_INFO_V1(oms_count_stock);

Datum
oms_count_stock(PG_FUNCTION_ARGS)
{
	char	   *sku = oms_text_arg(fcinfo, 0, "sku", true);
	char	   *loc = oms_text_arg(fcinfo, 1, "location", true);
	int64		counted = int64_arg(fcinfo, 2, "counted");
	char	   *reason = oms_text_arg(fcinfo, 3, "reason", false);
	int64		item_id;
	int64		location_id;

	if (OMS_IDEM_KEYED(fcinfo, 4))
		return oms_idem_call(fcinfo, "count_stock", 4, 0, oms_count_stock);

	if (counted < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("counted quantity must not be negative, got " INT64_FORMAT, counted)));
	oms_spi_connect();
	item_id = resolve_item(sku);
	location_id = oms_location_id(loc);
	/* counted goes in; the trigger's delta comes back in the same variable */
	(void) oms_insert_movement(item_id, location_id, "count", 0, 0,
						   reason, NULL, 0, &counted);
	oms_spi_finish();
	PG_RETURN_INT64(counted);
}

PG_FUNCTION_INFO_V1(oms_transfer_stock);

Datum
oms_transfer_stock(PG_FUNCTION_ARGS)
{
	char	   *sku = oms_text_arg(fcinfo, 0, "sku", true);
	char	   *from = oms_text_arg(fcinfo, 1, "from_location", true);
	char	   *to = oms_text_arg(fcinfo, 2, "to_location", true);
	int64		qty = int64_arg(fcinfo, 3, "qty");
	char	   *reference = oms_text_arg(fcinfo, 4, "reference", false);
	int64		item_id;
	int64		from_id;
	int64		to_id;
	int64		transfer_id;
	bool		isnull;

	if (OMS_IDEM_KEYED(fcinfo, 5))
		return oms_idem_call(fcinfo, "transfer_stock", 5, 0, oms_transfer_stock);

	oms_require_positive(qty, "qty");
	if (strcmp(from, to) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot transfer sku \"%s\" from \"%s\" to itself", sku, from)));
	oms_spi_connect();
	item_id = resolve_item(sku);
	from_id = oms_location_id(from);
	to_id = oms_location_id(to);

	/* Lock both levels in the global order before touching either. */
	oms_lock_level(item_id, Min(from_id, to_id));
	oms_lock_level(item_id, Max(from_id, to_id));

	oms_plan_exec(&plan_next_transfer, NULL, NULL, false, 1, SPI_OK_SELECT);
	transfer_id = oms_spi_int64(0, 1, &isnull);

	(void) oms_insert_movement(item_id, from_id, "transfer_out", -qty, 0,
						   NULL, reference, transfer_id, NULL);
	(void) oms_insert_movement(item_id, to_id, "transfer_in", qty, 0,
						   NULL, reference, transfer_id, NULL);
	oms_spi_finish();
	PG_RETURN_INT64(transfer_id);
}

/*
 * damage, scrap and restore: qty units of sku at location move between
 * on_hand and damaged (signs per unit), as one ledger row of kind.
 */
static Datum
move_between_buckets(FunctionCallInfo fcinfo, const char *kind, int on_hand_sign,
					 int damaged_sign, bool reason_required)
{
	char	   *sku = oms_text_arg(fcinfo, 0, "sku", true);
	char	   *loc = oms_text_arg(fcinfo, 1, "location", true);
	int64		qty = int64_arg(fcinfo, 2, "qty");
	char	   *reason = oms_text_arg(fcinfo, 3, "reason", reason_required);
	int64		item_id;
	int64		location_id;
	int64		movement_id;

	oms_require_positive(qty, "qty");
	oms_spi_connect();
	item_id = resolve_item(sku);
	location_id = oms_location_id(loc);
	movement_id = oms_insert_movement(item_id, location_id, kind, on_hand_sign * qty,
									  damaged_sign * qty, reason, NULL, 0, NULL);
	oms_spi_finish();
	PG_RETURN_INT64(movement_id);
}

PG_FUNCTION_INFO_V1(oms_damage_stock);

Datum
oms_damage_stock(PG_FUNCTION_ARGS)
{
	if (OMS_IDEM_KEYED(fcinfo, 4))
		return oms_idem_call(fcinfo, "damage_stock", 4, 0, oms_damage_stock);

	return move_between_buckets(fcinfo, "damage", -1, 1, false);
}

PG_FUNCTION_INFO_V1(oms_scrap_stock);

Datum
oms_scrap_stock(PG_FUNCTION_ARGS)
{
	if (OMS_IDEM_KEYED(fcinfo, 4))
		return oms_idem_call(fcinfo, "scrap_stock", 4, 0, oms_scrap_stock);

	return move_between_buckets(fcinfo, "scrap", 0, -1, false);
}

PG_FUNCTION_INFO_V1(oms_restore_stock);

Datum
oms_restore_stock(PG_FUNCTION_ARGS)
{
	if (OMS_IDEM_KEYED(fcinfo, 4))
		return oms_idem_call(fcinfo, "restore_stock", 4, 0, oms_restore_stock);

	return move_between_buckets(fcinfo, "restore", 1, -1, true);
}

PG_FUNCTION_INFO_V1(oms_set_safety_stock);

Datum
oms_set_safety_stock(PG_FUNCTION_ARGS)
{
	char	   *sku = oms_text_arg(fcinfo, 0, "sku", true);
	char	   *loc = oms_text_arg(fcinfo, 1, "location", true);
	int64		qty = int64_arg(fcinfo, 2, "qty");
	int64		item_id;
	int64		location_id;
	int64		available;
	bool		isnull;
	Datum		v[3];

	if (OMS_IDEM_KEYED(fcinfo, 3))
		return oms_idem_call(fcinfo, "set_safety_stock", 3, 0, oms_set_safety_stock);

	if (qty < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("safety stock must not be negative, got " INT64_FORMAT, qty)));
	oms_spi_connect();
	item_id = resolve_item(sku);
	location_id = oms_location_id(loc);
	v[0] = Int64GetDatum(item_id);
	v[1] = Int64GetDatum(location_id);
	v[2] = Int64GetDatum(qty);
	oms_plan_exec(&plan_set_safety, v, NULL, false, 0, SPI_OK_INSERT_RETURNING);
	available = oms_spi_int64(0, 1, &isnull);
	oms_spi_finish();
	PG_RETURN_INT64(available);
}
