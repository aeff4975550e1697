/*-------------------------------------------------------------------------
 *
 * serials.c
 *	  The SQL surface of serial numbers: receive_serials() brings named
 *	  units into stock, assign_serials() names the units an open shipment
 *	  will ship.  The ledger trigger and the return fraud guard are
 *	  engine/serials.c.
 *
 * assign_serials locks the order, then the shipment, then the serial rows
 * in serial order, like every shipment call (api/fulfillment.c), so two
 * shipments that claim one serial run one after the other and the second
 * is refused (isolation spec serial_race).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "base/jsonb_input.h"
#include "base/oms.h"
#include "engine/idempotency.h"
#include "engine/ledger.h"
#include "engine/order.h"
#include "engine/serials.h"

static OmsPlan plan_item = {
	"SELECT item_id, is_bundle, serialized FROM oms.item WHERE sku = $1",
	1, {TEXTOID}
};
static OmsPlan plan_shipment_order = {
	"SELECT order_id FROM oms.shipment WHERE shipment_id = $1",
	1, {INT8OID}
};
static OmsPlan plan_shipment_lock = {
	"SELECT shipment_number, status, location_id FROM oms.shipment WHERE shipment_id = $1 FOR UPDATE",
	1, {INT8OID}
};
static OmsPlan plan_shipment_sku = {
	"SELECT sl.item_id, pg_catalog.sum(sl.qty)::bigint, pg_catalog.bool_or(i.serialized)"
	" FROM oms.shipment_line sl JOIN oms.item i ON i.item_id = sl.item_id"
	" WHERE sl.shipment_id = $1 AND i.sku = $2 GROUP BY sl.item_id",
	2, {INT8OID, TEXTOID}
};

static const char *const assign_keys[] = {"sku", "serials", NULL};

PG_FUNCTION_INFO_V1(oms_receive_serials);

/* receive_serials(sku, location, serials, reference, idempotency_key) */
Datum
oms_receive_serials(PG_FUNCTION_ARGS)
{
	char	   *sku = oms_text_arg(fcinfo, 0, "sku", true);
	char	   *loc = oms_text_arg(fcinfo, 1, "location", true);
	char	   *reference = oms_text_arg(fcinfo, 3, "reference", false);
	OmsSerials *s;
	Datum		arg[1];
	bool		isnull;
	int64		item_id;
	int64		location_id;
	int64		movement_id;

	if (OMS_IDEM_KEYED(fcinfo, 4))
		return oms_idem_call(fcinfo, "receive_serials", 4, 0, oms_receive_serials);

	if (PG_ARGISNULL(2))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("serials must not be null")));
	oms_check_text_length(sku, "sku");
	oms_check_text_length(loc, "location");
	if (reference != NULL && reference[0] == '\0')
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("reference must not be empty")));
	s = oms_serials_from_array(PG_GETARG_ARRAYTYPE_P(2), "serials");

	oms_spi_connect();
	arg[0] = CStringGetTextDatum(sku);
	if (oms_plan_exec(&plan_item, arg, NULL, true, 1, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
				 errmsg("unknown sku \"%s\"", sku)));
	item_id = oms_spi_int64(0, 1, &isnull);
	if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sku \"%s\" is not serialized", sku),
				 errhint("Receive it with oms.receive_stock(), or set oms.item.serialized before its first movement.")));
	location_id = oms_location_id(loc);
	movement_id = oms_insert_movement_serials(item_id, location_id, "receipt", s->n, 0,
											  NULL, reference, 0, NULL,
											  oms_serials_datum(s, 0, s->n));
	oms_spi_finish();
	PG_RETURN_INT64(movement_id);
}

PG_FUNCTION_INFO_V1(oms_assign_serials);

/* The shipment being packed, locked with its order: number, location; only before it ships. */
typedef struct PackedShipment
{
	int64		shipment_id;
	char	   *number;
	int64		location_id;
} PackedShipment;

static void
lock_open_shipment(int64 shipment_id, PackedShipment *sh)
{
	Datum		args[1] = {Int64GetDatum(shipment_id)};
	OmsOrder	o;
	bool		isnull;
	char	   *status;

	if (oms_plan_exec(&plan_shipment_order, args, NULL, false, 1, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
				 errmsg("unknown shipment " INT64_FORMAT, shipment_id)));
	oms_order_lock(oms_spi_int64(0, 1, &isnull), &o);
	oms_plan_exec(&plan_shipment_lock, args, NULL, false, 1, SPI_OK_SELECT);
	sh->shipment_id = shipment_id;
	sh->number = oms_spi_text(0, 1);
	status = oms_spi_text(0, 2);
	sh->location_id = oms_spi_int64(0, 3, &isnull);
	if (strcmp(status, "pending") != 0 && strcmp(status, "picking") != 0 && strcmp(status, "packed") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_INVALID_TRANSITION),
				 errmsg("shipment %s is %s: serials are assigned only before it ships", sh->number, status),
				 errdetail("Pending, picking and packed shipments take serials.")));
}

/* lines[i]: its sku (named once in lines) and its serials. */
static OmsSerials *
read_assign_line(Jsonb *lines, int i, char **skus)
{
	JsonbValue *elem = getIthJsonbValueFromContainer(&lines->root, i);
	char	   *what = psprintf("lines[%d]", i);
	JsonbValue	v;
	Jsonb	   *obj;
	Jsonb	   *serials_json;
	int			j;

	if (elem == NULL || elem->type != jbvBinary || !JsonContainerIsObject(elem->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be an object {\"sku\", \"serials\"}", what)));
	oms_check_keys(elem->val.binary.data, what, assign_keys);
	obj = JsonbValueToJsonb(elem);
	if (!oms_object_value(obj, "sku", &v) || v.type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs \"sku\" as a string", what)));
	skus[i] = pnstrdup(v.val.string.val, v.val.string.len);
	for (j = 0; j < i; j++)
		if (strcmp(skus[j], skus[i]) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("sku \"%s\" is named twice in lines", skus[i]),
					 errhint("Name all its serials in one line.")));
	serials_json = oms_option_array(obj, "serials");
	if (serials_json == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs \"serials\": a JSON array of strings", what)));
	return oms_serials_from_jsonb(serials_json, psprintf("%s.serials", what));
}

/* Assign the serials of one sku of the shipment; the serials newly assigned. */
static int
assign_sku(const PackedShipment *sh, const char *sku, OmsSerials *s)
{
	Datum		args[2] = {Int64GetDatum(sh->shipment_id), CStringGetTextDatum(sku)};
	bool		isnull;
	int64		item_id;
	int64		qty;

	if (oms_plan_exec(&plan_shipment_sku, args, NULL, false, 1, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
				 errmsg("shipment %s has no units of sku \"%s\"", sh->number, sku)));
	item_id = oms_spi_int64(0, 1, &isnull);
	qty = oms_spi_int64(0, 2, &isnull);
	if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sku \"%s\" is not serialized: it ships without serials", sku)));
	if (s->n > qty)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_EXCEEDS_REMAINING),
				 errmsg("shipment %s holds " INT64_FORMAT " units of sku \"%s\": %d serials are too many",
						sh->number, qty, sku, s->n)));
	return oms_serials_assign(sh->shipment_id, sh->number, sh->location_id, item_id, sku, s);
}

/* assign_serials(shipment_id, lines, idempotency_key) */
Datum
oms_assign_serials(PG_FUNCTION_ARGS)
{
	Jsonb	   *lines = PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1);
	PackedShipment sh;
	int			nlines;
	char	  **skus;
	int			added = 0;
	int			i;

	if (OMS_IDEM_KEYED(fcinfo, 2))
		return oms_idem_call(fcinfo, "assign_serials", 2, 0, oms_assign_serials);

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("shipment_id must not be null")));
	if (lines == NULL || !JB_ROOT_IS_ARRAY(lines) || JB_ROOT_IS_SCALAR(lines) || JB_ROOT_COUNT(lines) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lines must be a non-empty JSON array of objects [{\"sku\", \"serials\"}]")));
	nlines = (int) JB_ROOT_COUNT(lines);
	oms_check_line_count(nlines, "lines");
	skus = palloc0(sizeof(char *) * nlines);

	oms_spi_connect();
	lock_open_shipment(PG_GETARG_INT64(0), &sh);
	for (i = 0; i < nlines; i++)
	{
		OmsSerials *s;

		CHECK_FOR_INTERRUPTS();
		s = read_assign_line(lines, i, skus);
		added += assign_sku(&sh, skus[i], s);
	}
	oms_spi_finish();
	PG_RETURN_INT32(added);
}
