/*-------------------------------------------------------------------------
 *
 * ledger.c
 *	  The inventory ledger engine: the triggers that apply every movement to
 *	  its stock level and guard the levels and the ledger, and the one
 *	  writer of ledger rows for the rest of the engine.  The inventory API
 *	  is api/inventory.c.
 *
 * Every change of on_hand or damaged is a row of oms.inventory_movement.
 * The BEFORE INSERT trigger locks the (item, location) level row, checks
 * the arithmetic and the business rules, writes the level and stamps the
 * running balance on the movement, so a movement inserted by any client is
 * applied the same way.  The level trigger refuses bucket writes made
 * outside the engine; the ledger refuses UPDATE, DELETE and TRUNCATE.
 *
 * Locks are taken in a fixed global order, item then location (ascending
 * location_id), so no two ledger operations can deadlock.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/dependency.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/rel.h"

#include "base/oms.h"
#include "engine/ledger.h"

/* A level row as read under lock. */
typedef struct LevelRow
{
	int64		on_hand;
	int64		reserved;
	int64		safety_stock;
	int64		damaged;
	bool		serialized;		/* the item's: its movements name serials */
} LevelRow;

static void lock_level(int64 item_id, int64 location_id, LevelRow *row);
static bool engine_only_kind(const char *kind);

static OmsPlan plan_lock_level = {
	"SELECT v.on_hand, v.reserved, v.safety_stock, v.damaged, i.serialized"
	" FROM oms.inventory_level v JOIN oms.item i ON i.item_id = v.item_id"
	" WHERE v.item_id = $1 AND v.location_id = $2 FOR UPDATE OF v",
	2, {INT8OID, INT8OID}
};
static OmsPlan plan_create_level = {
	"INSERT INTO oms.inventory_level (item_id, location_id) VALUES ($1, $2)"
	" ON CONFLICT (item_id, location_id) DO NOTHING",
	2, {INT8OID, INT8OID}
};
static OmsPlan plan_write_level = {
	"UPDATE oms.inventory_level SET on_hand = $3, damaged = $4, updated_at = pg_catalog.now()"
	" WHERE item_id = $1 AND location_id = $2",
	4, {INT8OID, INT8OID, INT8OID, INT8OID}
};
static OmsPlan plan_location_by_code = {
	"SELECT location_id FROM oms.location WHERE code = $1",
	1, {TEXTOID}
};
static OmsPlan plan_sku_by_id = {
	"SELECT sku FROM oms.item WHERE item_id = $1",
	1, {INT8OID}
};
static OmsPlan plan_item_is_bundle = {
	"SELECT sku, is_bundle FROM oms.item WHERE item_id = $1",
	1, {INT8OID}
};
static OmsPlan plan_code_by_id = {
	"SELECT code FROM oms.location WHERE location_id = $1",
	1, {INT8OID}
};
static OmsPlan plan_insert_movement = {
	"INSERT INTO oms.inventory_movement (item_id, location_id, kind, on_hand_delta,"
	" damaged_delta, counted, reason, reference, transfer_id, serials)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
	" RETURNING movement_id, on_hand_delta",
	10, {INT8OID, INT8OID, TEXTOID, INT8OID, INT8OID, INT8OID, TEXTOID, TEXTOID, INT8OID, TEXTARRAYOID}
};

/* ----------------------------------------------------------------
 * Shared helpers (also used by the other engine files)
 * ----------------------------------------------------------------
 */

/* Caller must be connected to SPI. */
char *
oms_item_sku(int64 item_id)
{
	Datum		v[1] = {Int64GetDatum(item_id)};

	if (oms_plan_exec(&plan_sku_by_id, v, NULL, true, 1, SPI_OK_SELECT) == 0)
		return psprintf("#" INT64_FORMAT, item_id);
	return oms_spi_text(0, 1);
}

/* Caller must be connected to SPI. */
char *
oms_location_code(int64 location_id)
{
	Datum		v[1] = {Int64GetDatum(location_id)};

	if (oms_plan_exec(&plan_code_by_id, v, NULL, true, 1, SPI_OK_SELECT) == 0)
		return psprintf("#" INT64_FORMAT, location_id);
	return oms_spi_text(0, 1);
}

/*
 * Lock the level row of (item, location) FOR UPDATE, creating it first when
 * it does not exist.  Caller must be connected to SPI.
 */
static void
lock_level(int64 item_id, int64 location_id, LevelRow *row)
{
	Datum		v[2] = {Int64GetDatum(item_id), Int64GetDatum(location_id)};
	bool		isnull;

	if (oms_plan_exec(&plan_lock_level, v, NULL, false, 1, SPI_OK_SELECT) == 0)
	{
		oms_plan_exec(&plan_create_level, v, NULL, false, 0, SPI_OK_INSERT);
		if (oms_plan_exec(&plan_lock_level, v, NULL, false, 1, SPI_OK_SELECT) == 0)
			elog(ERROR, "inventory level of item " INT64_FORMAT " at location " INT64_FORMAT " vanished",
				 item_id, location_id);
	}
	row->on_hand = oms_spi_int64(0, 1, &isnull);
	row->reserved = oms_spi_int64(0, 2, &isnull);
	row->safety_stock = oms_spi_int64(0, 3, &isnull);
	row->damaged = oms_spi_int64(0, 4, &isnull);
	row->serialized = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 5, &isnull));
}

static bool
engine_only_kind(const char *kind)
{
	return strcmp(kind, "transfer_out") == 0 ||
		strcmp(kind, "transfer_in") == 0 ||
		strcmp(kind, "shipment") == 0 ||
		strcmp(kind, "return_restock") == 0 ||
		strcmp(kind, "return_damaged") == 0;
}

/* ----------------------------------------------------------------
 * Triggers
 * ----------------------------------------------------------------
 */

/* One ledger row being applied: what it asks, and the level it changes. */
typedef struct Movement
{
	int64		item_id;
	int64		location_id;
	char	   *kind;
	int64		on_hand_delta;	/* a count's is computed under the lock */
	int64		damaged_delta;
	int64		counted;
	bool		is_count;
	bool		has_serials;	/* the row names serials (serials.c moves them) */
	LevelRow	lvl;			/* the level as locked */
	int64		new_on_hand;
	int64		new_damaged;
} Movement;

/* Step: a direct insert of a bundle's stock is refused (the API refuses it before it writes). */
static void
refuse_bundle_stock(int64 item_id)
{
	Datum		v[1] = {Int64GetDatum(item_id)};
	bool		bnull;

	if (oms_plan_exec(&plan_item_is_bundle, v, NULL, true, 1, SPI_OK_SELECT) == 1 &&
		DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &bnull)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sku \"%s\" is a bundle and holds no stock of its own", oms_spi_text(0, 1)),
				 errhint("Move stock of its components instead.")));
}

/*
 * Step: what a removal may take: a transfer only the free units, anything
 * else no more than is on hand and never below what is reserved; damaged
 * units never below zero.
 */
static void
check_movement_fits(const Movement *m)
{
	const LevelRow *lvl = &m->lvl;

	if (m->on_hand_delta < 0)
	{
		int64		taken = -m->on_hand_delta;
		int64		free_units = lvl->on_hand - lvl->reserved - lvl->safety_stock;

		if (strcmp(m->kind, "transfer_out") == 0 && taken > free_units)
			ereport(ERROR,
					(errcode(ERRCODE_OMS_INSUFFICIENT_STOCK),
					 errmsg("cannot transfer " INT64_FORMAT " units of sku \"%s\" from \"%s\": only " INT64_FORMAT " available",
							taken, oms_item_sku(m->item_id), oms_location_code(m->location_id),
							free_units > 0 ? free_units : 0),
					 errdetail("On hand " INT64_FORMAT ", reserved " INT64_FORMAT ", safety stock " INT64_FORMAT ".",
							   lvl->on_hand, lvl->reserved, lvl->safety_stock)));
		if (m->new_on_hand < 0)
			ereport(ERROR,
					(errcode(ERRCODE_OMS_INSUFFICIENT_STOCK),
					 errmsg("cannot remove " INT64_FORMAT " units of sku \"%s\" at \"%s\": only " INT64_FORMAT " on hand",
							taken, oms_item_sku(m->item_id), oms_location_code(m->location_id), lvl->on_hand)));
		if (m->new_on_hand < lvl->reserved)
		{
			if (m->is_count)
				ereport(ERROR,
						(errcode(ERRCODE_OMS_RESERVED_STOCK),
						 errmsg("count of " INT64_FORMAT " for sku \"%s\" at \"%s\" is below the " INT64_FORMAT " units reserved",
								m->counted, oms_item_sku(m->item_id), oms_location_code(m->location_id), lvl->reserved),
						 errdetail("On hand before the count " INT64_FORMAT "; a count may not go below reserved.",
								   lvl->on_hand),
						 errhint("Cancel or move the reservations first, then count again.")));
			ereport(ERROR,
					(errcode(ERRCODE_OMS_RESERVED_STOCK),
					 errmsg("removing " INT64_FORMAT " units of sku \"%s\" at \"%s\" would leave " INT64_FORMAT " on hand, below the " INT64_FORMAT " reserved",
							taken, oms_item_sku(m->item_id), oms_location_code(m->location_id),
							m->new_on_hand, lvl->reserved),
					 errdetail("At most " INT64_FORMAT " units can be removed.", lvl->on_hand - lvl->reserved)));
		}
	}
	if (m->new_damaged < 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_INSUFFICIENT_STOCK),
				 errmsg("cannot %s " INT64_FORMAT " damaged units of sku \"%s\" at \"%s\": only " INT64_FORMAT " damaged",
						strcmp(m->kind, "restore") == 0 ? "restore" : "scrap",
						-m->damaged_delta, oms_item_sku(m->item_id), oms_location_code(m->location_id),
						lvl->damaged)));
}

/*
 * Step: a movement of a serialized item names its serials (serials.c moves
 * them, one per unit); any other movement names none.  The flag comes with
 * the level row, so an item that is not serialized pays nothing here.
 */
static void
check_serials_named(const Movement *m)
{
	if (m->lvl.serialized && !m->has_serials &&
		(m->on_hand_delta != 0 || m->damaged_delta != 0))
		ereport(ERROR,
				(errcode(ERRCODE_OMS_SERIAL_MISMATCH),
				 errmsg("sku \"%s\" is serialized: its %s movement at \"%s\" must name its serials",
						oms_item_sku(m->item_id), m->kind, oms_location_code(m->location_id)),
				 errdetail("Every unit of a serialized item that moves is named by its serial."),
				 errhint("Use oms.receive_serials(), oms.assign_serials() before shipping, serials in the lines of oms.receive_return(), or insert the movement with its serials.")));
	if (!m->lvl.serialized && m->has_serials)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sku \"%s\" is not serialized: a movement of it names no serials",
						oms_item_sku(m->item_id))));
}

/*
 * Step: lock the level, compute the new buckets, check them and write them,
 * as the owner of the tables: whoever may insert a movement (oms_admin,
 * README Roles) has no right to write the buckets, and this trigger is the
 * one path that may.
 */
static void
apply_to_level(Movement *m)
{
	OmsSavedUser saved;
	Datum		v[4];

	oms_become_owner(oms_relation_owner(oms_relid("inventory_level")), &saved);
	lock_level(m->item_id, m->location_id, &m->lvl);
	if (m->is_count)
		m->on_hand_delta = oms_sub_qty(m->counted, m->lvl.on_hand, "count adjustment");
	m->new_on_hand = oms_add_qty(m->lvl.on_hand, m->on_hand_delta, "on_hand");
	m->new_damaged = oms_add_qty(m->lvl.damaged, m->damaged_delta, "damaged");
	check_movement_fits(m);
	check_serials_named(m);

	/* Write the level (oms_plan_exec holds the engine guard). */
	v[0] = Int64GetDatum(m->item_id);
	v[1] = Int64GetDatum(m->location_id);
	v[2] = Int64GetDatum(m->new_on_hand);
	v[3] = Int64GetDatum(m->new_damaged);
	oms_plan_exec(&plan_write_level, v, NULL, false, 0, SPI_OK_UPDATE);
	oms_restore_user(&saved);
}

PG_FUNCTION_INFO_V1(oms_inventory_movement_apply);

/*
 * Read a new ledger row; false if its kind is NULL (left to the table's
 * constraints).  Refuses engine-only kinds outside the engine and counts
 * without a sane counted quantity.
 */
static bool
read_movement(HeapTuple tuple, TupleDesc desc, bool engine_call, Movement *m)
{
	bool		isnull;

	memset(m, 0, sizeof(Movement));
	m->item_id = oms_tuple_int64(tuple, desc, "item_id", &isnull);
	m->location_id = oms_tuple_int64(tuple, desc, "location_id", &isnull);
	m->kind = SPI_getvalue(tuple, desc, SPI_fnumber(desc, "kind"));
	m->on_hand_delta = oms_tuple_int64(tuple, desc, "on_hand_delta", &isnull);
	m->damaged_delta = oms_tuple_int64(tuple, desc, "damaged_delta", &isnull);
	m->counted = oms_tuple_int64(tuple, desc, "counted", &isnull);
	m->is_count = (m->kind != NULL && strcmp(m->kind, "count") == 0);
	m->has_serials = !heap_attisnull(tuple, SPI_fnumber(desc, "serials"), desc);
	if (m->kind == NULL)
		return false;

	if (engine_only_kind(m->kind) && !engine_call)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_LEDGER_VIOLATION),
				 errmsg("movements of kind \"%s\" are written only by the oms API", m->kind),
				 errhint("Use oms.transfer_stock(), shipments or returns instead of inserting into the ledger.")));
	/* isnull is the counted column's */
	if (m->is_count && isnull)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a count movement needs the counted quantity")));
	if (m->is_count && m->counted < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("counted quantity must not be negative, got " INT64_FORMAT, m->counted)));
	return true;
}

/*
 * Stamp the computed delta (counts) and the running balances, and draw the
 * movement's id now that the level is locked.  The id the identity default
 * drew before this trigger ran can be lower than the ids of movements that
 * took the lock first (and committed first): the highest id of a level
 * would then hold a stale running balance.  Drawn under the lock, which is
 * held to commit, the ids of a level follow the order of its balances.
 * (The first value is left unused.)
 */
static HeapTuple
stamp_movement(Relation rel, HeapTuple tuple, const Movement *m)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			cols[4];
	Datum		vals[4];
	bool		nulls[4] = {false, false, false, false};

	cols[0] = SPI_fnumber(desc, "on_hand_delta");
	cols[1] = SPI_fnumber(desc, "on_hand_after");
	cols[2] = SPI_fnumber(desc, "damaged_after");
	cols[3] = SPI_fnumber(desc, "movement_id");
	vals[0] = Int64GetDatum(m->on_hand_delta);
	vals[1] = Int64GetDatum(m->new_on_hand);
	vals[2] = Int64GetDatum(m->new_damaged);
	vals[3] = Int64GetDatum(nextval_internal(getIdentitySequence(RelationGetRelid(rel),
																 (AttrNumber) cols[3], false),
											 false));
	return heap_modify_tuple_by_cols(tuple, desc, 4, cols, vals, nulls);
}

/*
 * BEFORE INSERT FOR EACH ROW on oms.inventory_movement.
 */
Datum
oms_inventory_movement_apply(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	HeapTuple	tuple;
	Movement	m;
	bool		engine_call = oms_engine_active();

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "oms_inventory_movement_apply: not called by trigger manager");
	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		elog(ERROR, "oms_inventory_movement_apply: must be fired BEFORE INSERT FOR EACH ROW");

	tuple = trigdata->tg_trigtuple;
	if (!read_movement(tuple, trigdata->tg_relation->rd_att, engine_call, &m))
		return PointerGetDatum(tuple);

	oms_spi_connect();
	if (!engine_call)
		refuse_bundle_stock(m.item_id);
	apply_to_level(&m);
	oms_spi_finish();

	return PointerGetDatum(stamp_movement(trigdata->tg_relation, tuple, &m));
}

PG_FUNCTION_INFO_V1(oms_inventory_movement_refuse);

/*
 * BEFORE UPDATE OR DELETE FOR EACH ROW, and BEFORE TRUNCATE, on the ledger.
 */
Datum
oms_inventory_movement_refuse(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	const char *what;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "oms_inventory_movement_refuse: not called by trigger manager");

	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		what = "UPDATE";
	else if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		what = "DELETE";
	else
		what = "TRUNCATE";

	ereport(ERROR,
			(errcode(ERRCODE_OMS_LEDGER_VIOLATION),
			 errmsg("the inventory ledger is append-only: %s of oms.inventory_movement is not allowed", what),
			 errhint("Correct a mistake with a new movement, for example oms.adjust_stock().")));
	PG_RETURN_NULL();			/* not reached */
}

PG_FUNCTION_INFO_V1(oms_inventory_level_guard);

/*
 * BEFORE INSERT OR UPDATE OR DELETE FOR EACH ROW (and BEFORE TRUNCATE) on
 * oms.inventory_level: the stock buckets change only under the engine
 * guard.  safety_stock is configuration and may be written directly.
 */
Datum
oms_inventory_level_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	static const char *const buckets[] = {"on_hand", "damaged", "reserved", "incoming"};
	TupleDesc	desc;
	int			i;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "oms_inventory_level_guard: not called by trigger manager");

	if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_OMS_LEDGER_VIOLATION),
				 errmsg("TRUNCATE of oms.inventory_level is not allowed"),
				 errdetail("Stock levels are the sum of the inventory ledger.")));

	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		elog(ERROR, "oms_inventory_level_guard: must be fired BEFORE ... FOR EACH ROW");

	if (oms_engine_active())
		return PointerGetDatum(TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
							   trigdata->tg_newtuple : trigdata->tg_trigtuple);

	desc = trigdata->tg_relation->rd_att;
	for (i = 0; i < (int) lengthof(buckets); i++)
	{
		bool		isnull;
		int64		newval = 0;
		int64		oldval = 0;
		bool		changed;

		if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		{
			newval = oms_tuple_int64(trigdata->tg_trigtuple, desc, buckets[i], &isnull);
			changed = (newval != 0);
		}
		else if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		{
			oldval = oms_tuple_int64(trigdata->tg_trigtuple, desc, buckets[i], &isnull);
			newval = oms_tuple_int64(trigdata->tg_newtuple, desc, buckets[i], &isnull);
			changed = (newval != oldval) || isnull;
		}
		else
		{
			oldval = oms_tuple_int64(trigdata->tg_trigtuple, desc, buckets[i], &isnull);
			changed = (oldval != 0);
		}

		if (changed)
			ereport(ERROR,
					(errcode(ERRCODE_OMS_LEDGER_VIOLATION),
					 errmsg("direct write of %s in oms.inventory_level is not allowed (" INT64_FORMAT " to " INT64_FORMAT ")",
							buckets[i], oldval, newval),
					 errdetail("Stock buckets change only through the inventory ledger and the oms API."),
					 errhint("Use oms.receive_stock(), oms.adjust_stock() or oms.count_stock().")));
	}

	return PointerGetDatum(TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
						   trigdata->tg_newtuple : trigdata->tg_trigtuple);
}

/* ----------------------------------------------------------------
 * Writing the ledger
 * ----------------------------------------------------------------
 */

/* A location's id by code, OM003 when unknown.  Caller is connected to SPI. */
int64
oms_location_id(const char *code)
{
	Datum		v[1] = {CStringGetTextDatum(code)};
	bool		isnull;

	if (oms_plan_exec(&plan_location_by_code, v, NULL, true, 1, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
				 errmsg("unknown location \"%s\"", code)));
	return oms_spi_int64(0, 1, &isnull);
}

/*
 * Insert one ledger row under the engine guard (ledger.h says how to call
 * it).
 */
int64
oms_insert_movement(int64 item_id, int64 location_id, const char *kind,
					int64 on_hand_delta, int64 damaged_delta,
					const char *reason, const char *reference,
					int64 transfer_id, int64 *counted)
{
	return oms_insert_movement_serials(item_id, location_id, kind, on_hand_delta, damaged_delta,
									   reason, reference, transfer_id, counted, (Datum) 0);
}

int64
oms_insert_movement_serials(int64 item_id, int64 location_id, const char *kind,
							int64 on_hand_delta, int64 damaged_delta,
							const char *reason, const char *reference,
							int64 transfer_id, int64 *counted, Datum serials)
{
	Datum		v[10];
	char		n[10];
	bool		isnull;
	int64		movement_id;

	memset(n, ' ', sizeof(n));
	v[0] = Int64GetDatum(item_id);
	v[1] = Int64GetDatum(location_id);
	v[2] = CStringGetTextDatum(kind);
	v[3] = Int64GetDatum(on_hand_delta);
	v[4] = Int64GetDatum(damaged_delta);
	v[5] = counted ? Int64GetDatum(*counted) : (Datum) 0;
	n[5] = counted ? ' ' : 'n';
	v[6] = reason ? CStringGetTextDatum(reason) : (Datum) 0;
	n[6] = reason ? ' ' : 'n';
	v[7] = reference ? CStringGetTextDatum(reference) : (Datum) 0;
	n[7] = reference ? ' ' : 'n';
	v[8] = Int64GetDatum(transfer_id);
	n[8] = transfer_id > 0 ? ' ' : 'n';
	v[9] = serials;
	n[9] = serials ? ' ' : 'n';

	oms_plan_exec(&plan_insert_movement, v, n, false, 0, SPI_OK_INSERT_RETURNING);

	movement_id = oms_spi_int64(0, 1, &isnull);
	if (counted)
		*counted = oms_spi_int64(0, 2, &isnull);
	return movement_id;
}

/*
 * Lock the level row of (item, location), creating it when missing.  A
 * caller that locks several takes them in the global order.  Caller is
 * connected to SPI.
 */
void
oms_lock_level(int64 item_id, int64 location_id)
{
	LevelRow	ignored;

	lock_level(item_id, location_id, &ignored);
}
