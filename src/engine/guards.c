/*-------------------------------------------------------------------------
 *
 * guards.c
 *	  The triggers that hold the engine-owned tables to the API: whoever
 *	  writes them (psql, a BI tool with write access, a bulk UPDATE, a
 *	  superuser), a write the engine did not make is refused with OM012
 *	  naming the function to call instead.
 *
 * oms.engine_guard(api [, 'INSERT'] [, column ...]), fired BEFORE INSERT OR
 *	 UPDATE OR DELETE FOR EACH ROW, lets the engine (oms_engine_active())
 *	 write anything and refuses every other write, except an INSERT when
 *	 'INSERT' is among the arguments, a DELETE of a row whose column c is
 *	 not NULL when 'DELETE:c' is, and an UPDATE that changes only the
 *	 columns named.  Fired BEFORE TRUNCATE FOR EACH STATEMENT it refuses the
 *	 TRUNCATE, even from the engine (which never truncates).  api names what
 *	 to call instead, for the hint.
 *
 * oms.status_api_guard(machine, key_column), fired BEFORE UPDATE OF status
 *	 FOR EACH ROW on the three engine tables with a status machine (order,
 *	 shipment, return), refuses the direct status moves that have side
 *	 effects the API performs: moves that the machine allows but that
 *	 only the named API function may make.  Moves without side effects
 *	 (picking, packed, in_transit, hold and release, a DBA's own states)
 *	 stay open to a plain UPDATE.  Purchase orders need no such guard: their
 *	 triggers apply the side effect (incoming) whoever moves the status.
 *
 * Every statement the C engine runs goes through oms_plan_exec(), which
 * holds the engine guard while it runs (base/spi_plan.c): that is what makes a
 * write "the engine's", including the writes of the engine's own triggers
 * fired by a direct statement (the status history, the level a ledger row
 * moves, the reservations of a backorder fill).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "base/oms.h"


static OmsPlan plan_order_units = {
	"SELECT COALESCE(sum(qty_ordered - qty_cancelled), 0)::bigint,"
	" COALESCE(sum(qty_delivered), 0)::bigint"
	" FROM oms.order_line WHERE order_id = $1 AND kind <> 'bundle'",
	1, {INT8OID}
};

static const char *
op_name(TriggerEvent ev)
{
	if (TRIGGER_FIRED_BY_INSERT(ev))
		return "INSERT into";
	if (TRIGGER_FIRED_BY_UPDATE(ev))
		return "UPDATE of";
	if (TRIGGER_FIRED_BY_DELETE(ev))
		return "DELETE from";
	return "TRUNCATE of";
}

/* The columns a plain UPDATE may change, for the detail; NULL if none. */
static char *
direct_columns(Trigger *tg)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 1; i < tg->tgnargs; i++)
	{
		if (strcmp(tg->tgargs[i], "INSERT") == 0 || strncmp(tg->tgargs[i], "DELETE:", 7) == 0)
			continue;
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", tg->tgargs[i]);
	}
	return buf.len > 0 ? buf.data : NULL;
}

static bool
trigger_arg_listed(Trigger *tg, int from, const char *name)
{
	int			i;

	for (i = from; i < tg->tgnargs; i++)
		if (strcmp(tg->tgargs[i], name) == 0)
			return true;
	return false;
}

/*
 * A direct DELETE is allowed of a row whose 'DELETE:column' is set; true if
 * this one is, an error if the table names such a column and it is not set,
 * false if the table names none.
 */
static bool
direct_delete_allowed(TriggerData *trigdata, const char *api)
{
	Trigger    *tg = trigdata->tg_trigger;
	Relation	rel = trigdata->tg_relation;
	int			i;

	for (i = 1; i < tg->tgnargs; i++)
	{
		const char *col;

		if (strncmp(tg->tgargs[i], "DELETE:", 7) != 0)
			continue;
		col = tg->tgargs[i] + 7;
		if (oms_tuple_text(trigdata->tg_trigtuple, RelationGetDescr(rel), col) != NULL)
			return true;
		ereport(ERROR,
				(errcode(ERRCODE_OMS_USE_API),
				 errmsg("direct DELETE from oms.%s is not allowed while %s is not set: use %s",
						RelationGetRelationName(rel), col, api),
				 errdetail("Only rows whose %s is set may be deleted directly.", col)));
	}
	return false;
}

/* A direct UPDATE may change only the columns the trigger names. */
static void
refuse_unlisted_columns(TriggerData *trigdata, const char *api)
{
	Trigger    *tg = trigdata->tg_trigger;
	TupleDesc	desc = RelationGetDescr(trigdata->tg_relation);
	const char *relname = RelationGetRelationName(trigdata->tg_relation);
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		bool		oldnull;
		bool		newnull;
		Datum		oldval;
		Datum		newval;
		bool		same;

		if (att->attisdropped || att->attgenerated)
			continue;
		if (trigger_arg_listed(tg, 1, NameStr(att->attname)))
			continue;
		oldval = heap_getattr(trigdata->tg_trigtuple, i + 1, desc, &oldnull);
		newval = heap_getattr(trigdata->tg_newtuple, i + 1, desc, &newnull);
		if (oldnull || newnull)
			same = (oldnull == newnull);
		else
			same = datum_image_eq(oldval, newval, att->attbyval, att->attlen);
		if (!same)
			ereport(ERROR,
					(errcode(ERRCODE_OMS_USE_API),
					 errmsg("direct UPDATE of %s in oms.%s is not allowed: use %s",
							NameStr(att->attname), relname, api),
					 direct_columns(tg) ?
					 errdetail("A plain UPDATE may change only %s.", direct_columns(tg)) :
					 errdetail("Only the oms API writes oms.%s.", relname)));
	}
}

PG_FUNCTION_INFO_V1(oms_engine_guard);

Datum
oms_engine_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TriggerEvent ev;
	Trigger    *tg;
	const char *relname;
	const char *api;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "oms_engine_guard: not called by trigger manager");
	ev = trigdata->tg_event;
	tg = trigdata->tg_trigger;
	relname = RelationGetRelationName(trigdata->tg_relation);
	if (tg->tgnargs < 1)
		elog(ERROR, "oms_engine_guard: needs the API to name as its first argument");
	api = tg->tgargs[0];

	if (TRIGGER_FIRED_BY_TRUNCATE(ev))
		ereport(ERROR,
				(errcode(ERRCODE_OMS_USE_API),
				 errmsg("TRUNCATE of oms.%s is not allowed: use %s", relname, api),
				 errdetail("Its rows carry invariants that the stock levels, the orders and the other tables depend on.")));

	if (!TRIGGER_FIRED_BEFORE(ev) || !TRIGGER_FIRED_FOR_ROW(ev))
		elog(ERROR, "oms_engine_guard: must be fired BEFORE ... FOR EACH ROW or BEFORE TRUNCATE");

	if (oms_engine_active())
		return PointerGetDatum(TRIGGER_FIRED_BY_UPDATE(ev) ?
							   trigdata->tg_newtuple : trigdata->tg_trigtuple);

	if (TRIGGER_FIRED_BY_INSERT(ev) && trigger_arg_listed(tg, 1, "INSERT"))
		return PointerGetDatum(trigdata->tg_trigtuple);

	if (TRIGGER_FIRED_BY_DELETE(ev) && direct_delete_allowed(trigdata, api))
		return PointerGetDatum(trigdata->tg_trigtuple);

	if (!TRIGGER_FIRED_BY_UPDATE(ev))
		ereport(ERROR,
				(errcode(ERRCODE_OMS_USE_API),
				 errmsg("direct %s oms.%s is not allowed: use %s", op_name(ev), relname, api),
				 errdetail("Rows of oms.%s are written only by the oms API.", relname)));

	refuse_unlisted_columns(trigdata, api);
	return PointerGetDatum(trigdata->tg_newtuple);
}

static bool
in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

static void
refuse_move(const char *machine, const char *key, const char *from, const char *to,
			const char *api, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_OMS_USE_API),
			 errmsg("direct status change of %s %s from \"%s\" to \"%s\" is not allowed: call %s",
					machine, key, from, to, api),
			 errdetail("%s", detail)));
}

/* An order's open units (ordered - cancelled) and delivered units. */
static void
order_units(int64 order_id, int64 *open, int64 *delivered)
{
	Datum		arg[1] = {Int64GetDatum(order_id)};
	OmsSavedUser saved;
	bool		isnull;

	oms_spi_connect();
	oms_become_owner(oms_relation_owner(oms_relid("order_line")), &saved);
	/*
	 * Not read-only: a fresh snapshot under READ COMMITTED, so an UPDATE
	 * that waited for the order row sees the lines the holder of that lock
	 * committed (isolation spec guard_direct_cancel).
	 */
	oms_plan_exec(&plan_order_units, arg, NULL, false, 1, SPI_OK_SELECT);
	oms_restore_user(&saved);
	*open = oms_spi_int64(0, 1, &isnull);
	*delivered = oms_spi_int64(0, 2, &isnull);
	oms_spi_finish();
}

/* An order cancels or completes only through the API while units are open. */
static void
guard_order_move(const char *key, const char *from, const char *to)
{
	int64		open;
	int64		delivered;

	if (strcmp(to, "cancelled") != 0 && strcmp(to, "completed") != 0)
		return;
	order_units(pg_strtoint64(key), &open, &delivered);
	if (strcmp(to, "cancelled") == 0 && open > 0)
		refuse_move("order", key, from, to, psprintf("oms.cancel_order(%s)", key),
					psprintf("The order has " INT64_FORMAT " units that are not cancelled; cancel_order() releases their reservations and backorders and cancels the open shipments, a plain UPDATE would leave them behind.", open));
	if (strcmp(to, "completed") == 0 && delivered < open)
		refuse_move("order", key, from, to,
					psprintf("oms.deliver() for its shipments and oms.cancel_order(%s) for the rest", key),
					psprintf("Only " INT64_FORMAT " of its " INT64_FORMAT " units that are not cancelled are delivered; the order completes by itself when every unit is delivered or cancelled.", delivered, open));
}

/* The shipment moves that move stock or order lines belong to the API. */
static void
guard_shipment_move(const char *key, const char *from, const char *to)
{
	static const char *const left[] = {"shipped", "in_transit", "delivered", "lost",
	"returned_to_sender", "cancelled", NULL};
	static const char *const open[] = {"pending", "picking", "packed", NULL};
	const char *m = "shipment";

	if (strcmp(to, "shipped") == 0)
		refuse_move(m, key, from, to, psprintf("oms.ship(%s, carrier, tracking_number)", key),
					"Shipping consumes the reservations and writes the shipment movements of the ledger.");
	if (strcmp(to, "delivered") == 0)
		refuse_move(m, key, from, to, psprintf("oms.deliver(%s)", key),
					"Delivery records the delivered units on the order lines, derives the order's fulfillment status and completes the order.");
	if (strcmp(to, "returned_to_sender") == 0)
		refuse_move(m, key, from, to, psprintf("oms.return_to_sender(%s)", key),
					"A return to sender restocks the units through the ledger and cancels or re-ships them on the order.");
	if (strcmp(to, "lost") == 0)
		refuse_move(m, key, from, to, psprintf("oms.advance_shipment(%s, 'lost')", key),
					"The event of a lost shipment carries its numbers and tracking number, for oms.reship().");
	if (strcmp(from, "lost") == 0 && strcmp(to, "cancelled") == 0)
		refuse_move(m, key, from, to, psprintf("oms.advance_shipment(%s, 'cancelled')", key),
					"Cancelling a lost shipment cancels its units on the order and lets the order complete.");
	if (in_list(from, left) && in_list(to, open))
		refuse_move(m, key, from, to, "oms.create_shipment() or oms.reship() for a new shipment",
					"A shipment that left or was cancelled cannot take units again.");
}

/* Receiving and completing a return move stock and money. */
static void
guard_return_move(const char *key, const char *from, const char *to)
{
	if (strcmp(to, "received") == 0)
		refuse_move("return", key, from, to, psprintf("oms.receive_return(%s, location)", key),
					"Receiving restocks the units through the ledger and records them on the order lines.");
	if (strcmp(to, "completed") == 0)
		refuse_move("return", key, from, to, psprintf("oms.complete_return(%s)", key),
					"Completion refunds the payment ledger or places the exchange order.");
}

PG_FUNCTION_INFO_V1(oms_status_api_guard);

Datum
oms_status_api_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Trigger    *tg;
	TupleDesc	desc;
	const char *machine;
	char	   *key;
	char	   *from;
	char	   *to;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "oms_status_api_guard: not called by trigger manager");
	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		elog(ERROR, "oms_status_api_guard: must be fired BEFORE UPDATE FOR EACH ROW");
	tg = trigdata->tg_trigger;
	if (tg->tgnargs != 2)
		elog(ERROR, "oms_status_api_guard: needs the machine and the key column");

	if (oms_engine_active())
		return PointerGetDatum(trigdata->tg_newtuple);

	machine = tg->tgargs[0];
	desc = RelationGetDescr(trigdata->tg_relation);
	from = oms_tuple_text(trigdata->tg_trigtuple, desc, "status");
	to = oms_tuple_text(trigdata->tg_newtuple, desc, "status");
	/* NULL and unchanged statuses are the status guard's business */
	if (from == NULL || to == NULL || strcmp(from, to) == 0)
		return PointerGetDatum(trigdata->tg_newtuple);
	key = oms_tuple_text(trigdata->tg_trigtuple, desc, tg->tgargs[1]);

	if (strcmp(machine, "order") == 0)
		guard_order_move(key, from, to);
	else if (strcmp(machine, "shipment") == 0)
		guard_shipment_move(key, from, to);
	else if (strcmp(machine, "return") == 0)
		guard_return_move(key, from, to);
	else
		elog(ERROR, "oms_status_api_guard: unknown machine \"%s\"", machine);

	return PointerGetDatum(trigdata->tg_newtuple);
}
