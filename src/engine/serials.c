/*-------------------------------------------------------------------------
 *
 * serials.c
 *	  Serial numbers: the ledger trigger that moves the serials a movement
 *	  names, the serials a shipment holds, and the return fraud guard.
 *
 * A serialized item (oms.item.serialized) moves only with its serials: the
 * ledger trigger (ledger.c) refuses a movement of one that names none, and
 * oms.serials_apply(), BEFORE INSERT on oms.inventory_movement after the
 * level was written, moves exactly the serials named, one per unit, from
 * the state the kind of movement needs to the state it leaves them in.  So
 * the serials of an item in stock at a location are its on_hand there and
 * the damaged ones its damaged, whoever writes the ledger.
 *
 * Locks: the level row first (the ledger trigger holds it), then the
 * serial rows, in serial order (COLLATE "C").
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "base/jsonb_input.h"
#include "base/oms.h"
#include "engine/ledger.h"
#include "engine/serials.h"

/* One serial row as locked. */
typedef struct SerialRow
{
	bool		found;
	int64		serial_id;
	char	   *status;
	int64		location_id;	/* 0: none */
	int64		shipment_id;	/* 0: none */
} SerialRow;

static OmsPlan plan_lock_serials = {
	"SELECT serial, serial_id, status, location_id, shipment_id FROM oms.serial_unit"
	" WHERE item_id = $1 AND serial = ANY($2) ORDER BY serial COLLATE \"C\" FOR UPDATE",
	2, {INT8OID, TEXTARRAYOID}
};
static OmsPlan plan_insert_serial = {
	"INSERT INTO oms.serial_unit (item_id, serial, status, location_id) VALUES ($1, $2, 'in_stock', $3)"
	" ON CONFLICT (item_id, serial) DO NOTHING RETURNING serial_id",
	3, {INT8OID, TEXTOID, INT8OID}
};
static OmsPlan plan_update_serial = {
	"UPDATE oms.serial_unit SET status = $2, location_id = $3, shipment_id = $4,"
	" updated_at = pg_catalog.now() WHERE serial_id = $1",
	4, {INT8OID, TEXTOID, INT8OID, INT8OID}
};
static OmsPlan plan_serial_event = {
	"INSERT INTO oms.serial_event (serial_id, event, location_id, shipment_id, movement_id, reference)"
	" VALUES ($1, $2, $3, $4, $5, $6)",
	6, {INT8OID, TEXTOID, INT8OID, INT8OID, INT8OID, TEXTOID}
};
static OmsPlan plan_shipment_of = {
	"SELECT shipment_number, status, order_id,"
	" EXISTS (SELECT FROM oms.shipment x WHERE x.replaces_shipment_id = s.shipment_id)"
	" FROM oms.shipment s WHERE shipment_id = $1",
	1, {INT8OID}
};
static OmsPlan plan_assigned = {
	"SELECT serial FROM oms.serial_unit WHERE shipment_id = $1 AND item_id = $2 AND status = 'in_stock'",
	2, {INT8OID, INT8OID}
};
static OmsPlan plan_shipment_serials = {
	"SELECT pg_catalog.array_agg(serial ORDER BY serial COLLATE \"C\"), pg_catalog.count(*)"
	" FROM oms.serial_unit WHERE shipment_id = $1 AND item_id = $2 AND status = $3",
	3, {INT8OID, INT8OID, TEXTOID}
};

/* ----------------------------------------------------------------
 * Lists of serials
 * ----------------------------------------------------------------
 */

static int
cmp_serial(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Check each serial's form, sort them and refuse a serial named twice. */
static OmsSerials *
finish_list(OmsSerials *s, const char *what)
{
	int			i;

	if (s->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must name at least one serial", what)));
	oms_check_line_count(s->n, what);
	for (i = 0; i < s->n; i++)
	{
		const char *p;

		CHECK_FOR_INTERRUPTS();
		if (s->v[i][0] == '\0' || strlen(s->v[i]) > OMS_MAX_KEY_LENGTH)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("serial %s in %s must be 1 to %d characters", oms_json_quote(oms_short_text(s->v[i])),
							what, OMS_MAX_KEY_LENGTH)));
		for (p = s->v[i]; *p; p++)
			if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v')
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("serial %s in %s must not contain white space", oms_json_quote(s->v[i]), what)));
	}
	qsort(s->v, s->n, sizeof(char *), cmp_serial);
	for (i = 1; i < s->n; i++)
		if (strcmp(s->v[i - 1], s->v[i]) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("serial \"%s\" is named twice in %s", s->v[i], what)));
	return s;
}

OmsSerials *
oms_serials_from_array(ArrayType *a, const char *what)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	OmsSerials *s = palloc0(sizeof(OmsSerials));

	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a one-dimensional array", what)));
	deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	s->v = palloc(sizeof(char *) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must not contain NULL", what)));
		s->v[i] = TextDatumGetCString(elems[i]);
	}
	s->n = n;
	return finish_list(s, what);
}

OmsSerials *
oms_serials_from_jsonb(Jsonb *j, const char *what)
{
	OmsSerials *s;
	int			n;
	int			i;

	if (j == NULL)
		return NULL;
	if (!JB_ROOT_IS_ARRAY(j) || JB_ROOT_IS_SCALAR(j))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a JSON array of strings", what)));
	n = (int) JB_ROOT_COUNT(j);
	oms_check_line_count(n, what);
	s = palloc0(sizeof(OmsSerials));
	s->v = palloc(sizeof(char *) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		JsonbValue *v = getIthJsonbValueFromContainer(&j->root, i);

		if (v == NULL || v->type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s[%d] must be a string", what, i)));
		s->v[i] = pnstrdup(v->val.string.val, v->val.string.len);
	}
	s->n = n;
	return finish_list(s, what);
}

OmsSerials *
oms_serials_merge(const OmsSerials *a, const OmsSerials *b, const char *what)
{
	OmsSerials *s = palloc0(sizeof(OmsSerials));

	s->n = a->n + b->n;
	s->v = palloc(sizeof(char *) * Max(s->n, 1));
	memcpy(s->v, a->v, sizeof(char *) * a->n);
	memcpy(s->v + a->n, b->v, sizeof(char *) * b->n);
	return finish_list(s, what);
}

Datum
oms_serials_datum(const OmsSerials *s, int first, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = CStringGetTextDatum(s->v[first + i]);
	return PointerGetDatum(construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* ----------------------------------------------------------------
 * Reading serial rows
 * ----------------------------------------------------------------
 */

/* Lock the rows of the named serials (sorted), one SerialRow per name. */
static SerialRow *
lock_serials(int64 item_id, const OmsSerials *s)
{
	Datum		args[2];
	SerialRow  *rows = palloc0(sizeof(SerialRow) * Max(s->n, 1));
	int			n;
	int			i;
	int			j = 0;
	bool		isnull;

	args[0] = Int64GetDatum(item_id);
	args[1] = oms_serials_datum(s, 0, s->n);
	n = oms_plan_exec(&plan_lock_serials, args, NULL, false, 0, SPI_OK_SELECT);
	/* both lists are sorted by strcmp: merge them */
	for (i = 0; i < n; i++)
	{
		char	   *name = oms_spi_text(i, 1);

		while (j < s->n && strcmp(s->v[j], name) < 0)
			j++;
		if (j >= s->n || strcmp(s->v[j], name) != 0)
			continue;
		rows[j].found = true;
		rows[j].serial_id = oms_spi_int64(i, 2, &isnull);
		rows[j].status = oms_spi_text(i, 3);
		rows[j].location_id = oms_spi_int64(i, 4, &isnull);
		if (isnull)
			rows[j].location_id = 0;
		rows[j].shipment_id = oms_spi_int64(i, 5, &isnull);
		if (isnull)
			rows[j].shipment_id = 0;
	}
	return rows;
}

/* A shipment's number, status, order and whether a replacement exists. */
typedef struct SerialShipment
{
	char	   *number;
	char	   *status;
	int64		order_id;
	bool		replaced;
} SerialShipment;

static void
read_shipment(int64 shipment_id, SerialShipment *out)
{
	Datum		arg[1] = {Int64GetDatum(shipment_id)};
	bool		isnull;

	memset(out, 0, sizeof(SerialShipment));
	if (oms_plan_exec(&plan_shipment_of, arg, NULL, false, 1, SPI_OK_SELECT) == 0)
	{
		out->number = psprintf("#" INT64_FORMAT, shipment_id);
		out->status = pstrdup("unknown");
		return;
	}
	out->number = oms_spi_text(0, 1);
	out->status = oms_spi_text(0, 2);
	out->order_id = oms_spi_int64(0, 3, &isnull);
	out->replaced = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull));
}

static bool
open_shipment_status(const char *status)
{
	return strcmp(status, "pending") == 0 || strcmp(status, "picking") == 0 ||
		strcmp(status, "packed") == 0;
}

/* Where a serial is, in words, for error messages. */
static char *
describe(const SerialRow *r)
{
	SerialShipment sh;

	if (!r->found)
		return pstrdup("unknown");
	if (strcmp(r->status, "in_stock") == 0 || strcmp(r->status, "damaged") == 0)
		return psprintf("%s at %s", strcmp(r->status, "in_stock") == 0 ? "in stock" : "damaged",
						oms_location_code(r->location_id));
	if (strcmp(r->status, "shipped") == 0)
	{
		read_shipment(r->shipment_id, &sh);
		return psprintf("shipped in %s (%s)", sh.number, sh.status);
	}
	if (strcmp(r->status, "in_transfer") == 0)
		return pstrdup("in transfer");
	return pstrdup("written off");
}

/* ----------------------------------------------------------------
 * The ledger trigger
 * ----------------------------------------------------------------
 */

/* What a kind of movement does to its serials. */
typedef struct SerialMove
{
	const char *from;			/* "new", "in_stock", "damaged", "shipped",
								 * "in_transfer" */
	const char *to;				/* "in_stock", "damaged", "shipped",
								 * "in_transfer", "written_off" */
	const char *event;
	const char *event_before;	/* NULL, or "returned" */
	int64		units;
} SerialMove;

static void
serial_move_of(const char *kind, int64 on_hand_delta, int64 damaged_delta, SerialMove *m)
{
	bool		in = on_hand_delta > 0;

	memset(m, 0, sizeof(SerialMove));
	m->units = on_hand_delta < 0 ? -on_hand_delta : on_hand_delta;
	if (strcmp(kind, "receipt") == 0)
		*m = (SerialMove) {"new", "in_stock", "received", NULL, m->units};
	else if (strcmp(kind, "adjustment") == 0 || strcmp(kind, "count") == 0)
	{
		bool		count = strcmp(kind, "count") == 0;

		if (in)
			*m = (SerialMove) {"new", "in_stock", count ? "counted_in" : "adjusted_in", NULL, m->units};
		else
			*m = (SerialMove) {"in_stock", "written_off", count ? "counted_out" : "adjusted_out", NULL, m->units};
	}
	else if (strcmp(kind, "transfer_out") == 0)
		*m = (SerialMove) {"in_stock", "in_transfer", "transferred_out", NULL, m->units};
	else if (strcmp(kind, "transfer_in") == 0)
		*m = (SerialMove) {"in_transfer", "in_stock", "transferred_in", NULL, m->units};
	else if (strcmp(kind, "shipment") == 0)
		*m = (SerialMove) {"in_stock", "shipped", "shipped", NULL, m->units};
	else if (strcmp(kind, "return_restock") == 0)
		*m = (SerialMove) {"shipped", "in_stock", "restocked", "returned", m->units};
	else if (strcmp(kind, "return_damaged") == 0)
		*m = (SerialMove) {"shipped", "damaged", "damaged", "returned", damaged_delta};
	else if (strcmp(kind, "damage") == 0)
		*m = (SerialMove) {"in_stock", "damaged", "damaged", NULL, m->units};
	else if (strcmp(kind, "restore") == 0)
		*m = (SerialMove) {"damaged", "in_stock", "restored", NULL, m->units};
	else if (strcmp(kind, "scrap") == 0)
		*m = (SerialMove) {"damaged", "written_off", "scrapped", NULL, -damaged_delta};
	else
		elog(ERROR, "serials of movement kind \"%s\" are not handled", kind);
}

/* Refuse a serial that is not where the movement needs it. */
static void
check_from(const SerialMove *m, const SerialRow *r, const char *serial, int64 item_id,
		   int64 location_id, const char *kind)
{
	bool		ok;

	if (strcmp(m->from, "new") == 0)
		ok = !r->found || strcmp(r->status, "written_off") == 0;
	else
		ok = r->found && strcmp(r->status, m->from) == 0 &&
			((strcmp(m->from, "in_stock") != 0 && strcmp(m->from, "damaged") != 0) ||
			 r->location_id == location_id);
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_SERIAL_MISMATCH),
				 errmsg("serial \"%s\" of sku \"%s\" cannot take part in a %s movement at %s: it is %s",
						serial, oms_item_sku(item_id), kind, oms_location_code(location_id), describe(r)),
				 errdetail("A %s movement takes serials that are %s%s.", kind,
						   strcmp(m->from, "new") == 0 ? "new or written off" :
						   strcmp(m->from, "in_stock") == 0 ? "in stock" :
						   strcmp(m->from, "in_transfer") == 0 ? "in transfer" : m->from,
						   (strcmp(m->from, "in_stock") == 0 || strcmp(m->from, "damaged") == 0) ?
						   " at its location" : "")));

	/* a serial assigned to an open shipment leaves only with that shipment */
	if (strcmp(m->from, "in_stock") == 0 && strcmp(kind, "shipment") != 0 && r->shipment_id != 0)
	{
		SerialShipment sh;

		read_shipment(r->shipment_id, &sh);
		if (open_shipment_status(sh.status))
			ereport(ERROR,
					(errcode(ERRCODE_OMS_SERIAL_MISMATCH),
					 errmsg("serial \"%s\" of sku \"%s\" is assigned to shipment %s (%s)",
							serial, oms_item_sku(item_id), sh.number, sh.status),
					 errhint("Assign other serials to the shipment with oms.assign_serials() first.")));
	}
}

static void
write_event(int64 serial_id, const char *event, int64 location_id, int64 shipment_id,
			int64 movement_id, const char *reference)
{
	Datum		v[6];
	char		n[6] = {' ', ' ', ' ', ' ', ' ', ' '};

	v[0] = Int64GetDatum(serial_id);
	v[1] = CStringGetTextDatum(event);
	v[2] = Int64GetDatum(location_id);
	n[2] = location_id ? ' ' : 'n';
	v[3] = Int64GetDatum(shipment_id);
	n[3] = shipment_id ? ' ' : 'n';
	v[4] = Int64GetDatum(movement_id);
	n[4] = movement_id ? ' ' : 'n';
	v[5] = reference ? CStringGetTextDatum(reference) : (Datum) 0;
	n[5] = reference ? ' ' : 'n';
	oms_plan_exec(&plan_serial_event, v, n, false, 0, SPI_OK_INSERT);
}

/* Move one serial to the movement's end state and record it. */
static void
move_serial(const SerialMove *m, SerialRow *r, const char *serial, int64 item_id,
			int64 location_id, int64 movement_id, const char *reference)
{
	Datum		v[4];
	char		n[4] = {' ', ' ', ' ', ' '};
	bool		isnull;
	bool		here = strcmp(m->to, "in_stock") == 0 || strcmp(m->to, "damaged") == 0;
	int64		came_from = r->shipment_id;
	int64		shipment_id;

	if (!r->found)
	{
		v[0] = Int64GetDatum(item_id);
		v[1] = CStringGetTextDatum(serial);
		v[2] = Int64GetDatum(location_id);
		if (oms_plan_exec(&plan_insert_serial, v, NULL, false, 0, SPI_OK_INSERT_RETURNING) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OMS_SERIAL_MISMATCH),
					 errmsg("serial \"%s\" of sku \"%s\" was received by another transaction at the same time",
							serial, oms_item_sku(item_id))));
		r->serial_id = oms_spi_int64(0, 1, &isnull);
		write_event(r->serial_id, m->event, location_id, 0, movement_id, reference);
		return;
	}
	/* a shipped serial keeps its shipment; anything else forgets it */
	shipment_id = strcmp(m->to, "shipped") == 0 ? r->shipment_id : 0;
	v[0] = Int64GetDatum(r->serial_id);
	v[1] = CStringGetTextDatum(m->to);
	v[2] = Int64GetDatum(location_id);
	n[2] = here ? ' ' : 'n';
	v[3] = Int64GetDatum(shipment_id);
	n[3] = shipment_id ? ' ' : 'n';
	oms_plan_exec(&plan_update_serial, v, n, false, 0, SPI_OK_UPDATE);
	if (m->event_before)
		write_event(r->serial_id, m->event_before, location_id, came_from, movement_id, reference);
	write_event(r->serial_id, m->event, location_id, shipment_id, movement_id, reference);
}

PG_FUNCTION_INFO_V1(oms_serials_apply);

/*
 * BEFORE INSERT FOR EACH ROW on oms.inventory_movement, WHEN (NEW.serials
 * IS NOT NULL), sorting after inventory_movement_apply: the level is
 * locked and written and the row carries its computed delta and its id.
 */
Datum
oms_serials_apply(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	tuple;
	bool		isnull;
	int64		item_id;
	int64		location_id;
	int64		movement_id;
	char	   *kind;
	char	   *reference;
	Datum		d;
	OmsSerials *s;
	SerialMove	m;
	SerialRow  *rows;
	OmsSavedUser saved;
	int			i;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "oms_serials_apply: not called by trigger manager");
	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		elog(ERROR, "oms_serials_apply: must be fired BEFORE INSERT FOR EACH ROW");

	desc = trigdata->tg_relation->rd_att;
	tuple = trigdata->tg_trigtuple;
	d = SPI_getbinval(tuple, desc, SPI_fnumber(desc, "serials"), &isnull);
	if (isnull)
		return PointerGetDatum(tuple);
	kind = SPI_getvalue(tuple, desc, SPI_fnumber(desc, "kind"));
	if (kind == NULL)
		return PointerGetDatum(tuple);
	item_id = oms_tuple_int64(tuple, desc, "item_id", &isnull);
	location_id = oms_tuple_int64(tuple, desc, "location_id", &isnull);
	movement_id = oms_tuple_int64(tuple, desc, "movement_id", &isnull);
	reference = oms_tuple_text(tuple, desc, "reference");
	s = oms_serials_from_array(DatumGetArrayTypeP(d), "serials");
	serial_move_of(kind, oms_tuple_int64(tuple, desc, "on_hand_delta", &isnull),
				   oms_tuple_int64(tuple, desc, "damaged_delta", &isnull), &m);

	oms_spi_connect();
	if (m.units != s->n)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_SERIAL_MISMATCH),
				 errmsg("a %s movement of " INT64_FORMAT " units of sku \"%s\" names %d serials",
						kind, m.units, oms_item_sku(item_id), s->n),
				 errdetail("A movement of a serialized item names one serial per unit.")));
	oms_become_owner(oms_relation_owner(oms_relid("serial_unit")), &saved);
	rows = lock_serials(item_id, s);
	for (i = 0; i < s->n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		check_from(&m, &rows[i], s->v[i], item_id, location_id, kind);
		if (strcmp(kind, "shipment") == 0 && rows[i].shipment_id == 0)
			elog(ERROR, "serial \"%s\" ships without a shipment", s->v[i]);
		move_serial(&m, &rows[i], s->v[i], item_id, location_id, movement_id, reference);
	}
	oms_restore_user(&saved);
	oms_spi_finish();
	return PointerGetDatum(tuple);
}

/* ----------------------------------------------------------------
 * Shipments and returns
 * ----------------------------------------------------------------
 */

Datum
oms_serials_of_shipment(int64 shipment_id, const char *shipment_number, int64 item_id,
						const char *status, int64 qty)
{
	Datum		args[3];
	bool		isnull;
	int64		have;
	Datum		serials;

	args[0] = Int64GetDatum(shipment_id);
	args[1] = Int64GetDatum(item_id);
	args[2] = CStringGetTextDatum(status);
	oms_plan_exec(&plan_shipment_serials, args, NULL, false, 1, SPI_OK_SELECT);
	have = oms_spi_int64(0, 2, &isnull);
	if (have != qty)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_SERIAL_MISMATCH),
				 errmsg("shipment %s holds " INT64_FORMAT " units of serialized sku \"%s\" but " INT64_FORMAT " serials are %s",
						shipment_number, qty, oms_item_sku(item_id), have,
						strcmp(status, "in_stock") == 0 ? "assigned to it" : "shipped in it"),
				 strcmp(status, "in_stock") == 0 ?
				 errhint("Name them with oms.assign_serials(shipment_id, lines).") : 0));
	serials = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return SPI_datumTransfer(serials, false, -1);
}

void
oms_serials_check_return(int64 order_id, const char *order_number, int64 item_id,
						 const char *sku, const OmsSerials *s)
{
	SerialRow  *rows = lock_serials(item_id, s);
	int			i;

	for (i = 0; i < s->n; i++)
	{
		SerialRow  *r = &rows[i];
		SerialShipment sh;

		CHECK_FOR_INTERRUPTS();
		if (!r->found || strcmp(r->status, "shipped") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_OMS_SERIAL_MISMATCH),
					 errmsg("serial \"%s\" of sku \"%s\" was not shipped on order %s: it is %s",
							s->v[i], sku, order_number, describe(r)),
					 errdetail("A return takes back only serials that were shipped on the order and not returned since.")));
		read_shipment(r->shipment_id, &sh);
		if (sh.order_id != order_id)
			ereport(ERROR,
					(errcode(ERRCODE_OMS_SERIAL_MISMATCH),
					 errmsg("serial \"%s\" of sku \"%s\" was not shipped on order %s: it went out in shipment %s of another order",
							s->v[i], sku, order_number, sh.number),
					 errdetail("A return takes back only serials that were shipped on the order and not returned since.")));
		if (strcmp(sh.status, "lost") == 0 && !sh.replaced)
			ereport(ERROR,
					(errcode(ERRCODE_OMS_SERIAL_MISMATCH),
					 errmsg("serial \"%s\" of sku \"%s\" went out in shipment %s, which is lost",
							s->v[i], sku, sh.number),
					 errdetail("Units of a lost shipment cannot be returned until they are re-shipped or written off."),
					 errhint("Call oms.reship(shipment_id) or oms.advance_shipment(shipment_id, 'cancelled') first.")));
	}
}

int
oms_serials_assign(int64 shipment_id, const char *shipment_number, int64 location_id,
				   int64 item_id, const char *sku, const OmsSerials *s)
{
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	OmsSerials *all = palloc0(sizeof(OmsSerials));
	SerialRow  *rows;
	int			nold;
	int			added = 0;
	int			i;

	/* the serials assigned before, read under the shipment's lock */
	args[0] = Int64GetDatum(shipment_id);
	args[1] = Int64GetDatum(item_id);
	nold = oms_plan_exec(&plan_assigned, args, NULL, false, 0, SPI_OK_SELECT);
	all->v = palloc(sizeof(char *) * (nold + s->n + 1));
	for (i = 0; i < s->n; i++)
		all->v[all->n++] = s->v[i];
	for (i = 0; i < nold; i++)
	{
		char	   *old = oms_spi_text(i, 1);

		if (bsearch(&old, s->v, s->n, sizeof(char *), cmp_serial) == NULL)
			all->v[all->n++] = old;
	}
	qsort(all->v, all->n, sizeof(char *), cmp_serial);

	/* lock old and new together, in serial order */
	rows = lock_serials(item_id, all);
	for (i = 0; i < all->n; i++)
	{
		SerialRow  *r = &rows[i];
		bool		wanted = bsearch(&all->v[i], s->v, s->n, sizeof(char *), cmp_serial) != NULL;

		CHECK_FOR_INTERRUPTS();
		if (!wanted)
		{
			args[0] = Int64GetDatum(r->serial_id);
			args[1] = CStringGetTextDatum("in_stock");
			args[2] = Int64GetDatum(r->location_id);
			nulls[3] = 'n';
			oms_plan_exec(&plan_update_serial, args, nulls, false, 0, SPI_OK_UPDATE);
			write_event(r->serial_id, "unassigned", r->location_id, shipment_id, 0, shipment_number);
			continue;
		}
		if (!r->found || strcmp(r->status, "in_stock") != 0 || r->location_id != location_id)
			ereport(ERROR,
					(errcode(ERRCODE_OMS_SERIAL_MISMATCH),
					 errmsg("serial \"%s\" of sku \"%s\" cannot ship in %s from %s: it is %s",
							all->v[i], sku, shipment_number, oms_location_code(location_id), describe(r)),
					 errdetail("A shipment takes serials in stock at its location.")));
		if (r->shipment_id == shipment_id)
			continue;
		if (r->shipment_id != 0)
		{
			SerialShipment sh;

			read_shipment(r->shipment_id, &sh);
			if (open_shipment_status(sh.status))
				ereport(ERROR,
						(errcode(ERRCODE_OMS_SERIAL_MISMATCH),
						 errmsg("serial \"%s\" of sku \"%s\" is already assigned to shipment %s (%s)",
								all->v[i], sku, sh.number, sh.status),
						 errdetail("A serial ships in one shipment.")));
		}
		args[0] = Int64GetDatum(r->serial_id);
		args[1] = CStringGetTextDatum("in_stock");
		args[2] = Int64GetDatum(location_id);
		args[3] = Int64GetDatum(shipment_id);
		nulls[3] = ' ';
		oms_plan_exec(&plan_update_serial, args, nulls, false, 0, SPI_OK_UPDATE);
		write_event(r->serial_id, "assigned", location_id, shipment_id, 0, shipment_number);
		added++;
	}
	return added;
}
