/*-------------------------------------------------------------------------
 *
 * references.c
 *	  References to the shared reference rows (items, locations, channels,
 *	  carriers) without row locks on them.
 *
 * A foreign-key check takes FOR KEY SHARE on the parent row.  Every order
 * names the same channel, and the orders of a popular sku the same item,
 * so concurrent orders share that lock; a row lock shared by several
 * transactions becomes a MultiXact, created under a global lock and
 * written to an SLRU.  Instead:
 *
 *	- reference rows are never deleted (they are retired with
 *	  active = false), and their keys never change: reference_guard refuses
 *	  DELETE, TRUNCATE and key updates with 23503;
 *	- the hot tables that point at them check, with reference_check, that
 *	  the row exists, by a plain read that takes no lock: as the row can
 *	  never go away, a committed row seen once stays.
 *
 * Colder tables (configuration, purchasing) keep ordinary foreign keys.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "base/oms.h"

/* Saved existence plans, one per (parent table, key column): few, kept for the backend. */
#define REFERENCE_PLANS 16

typedef struct ReferencePlan
{
	char		parent[NAMEDATALEN];
	char		key[NAMEDATALEN];
	SPIPlanPtr	plan;
} ReferencePlan;

static ReferencePlan reference_plans[REFERENCE_PLANS];
static int	reference_plans_used = 0;

static SPIPlanPtr existence_plan(const char *parent, const char *key);
static bool column_unchanged(TriggerData *trigdata, const char *col);
static void check_one_reference(Relation rel, HeapTuple tuple, const char *column,
								const char *parent, const char *key);

/* The saved plan of "does oms.<parent> have a row with <key> = $1". */
static SPIPlanPtr
existence_plan(const char *parent, const char *key)
{
	ReferencePlan *slot;
	Oid			argtypes[1] = {INT8OID};
	SPIPlanPtr	plan;
	int			i;

	for (i = 0; i < reference_plans_used; i++)
	{
		if (strcmp(reference_plans[i].parent, parent) == 0 &&
			strcmp(reference_plans[i].key, key) == 0)
			return reference_plans[i].plan;
	}

	plan = SPI_prepare(psprintf("SELECT 1 FROM oms.%s WHERE %s OPERATOR(pg_catalog.=) $1",
								quote_identifier(parent), quote_identifier(key)),
					   1, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for the existence of oms.%s: %s",
			 parent, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed for the existence of oms.%s", parent);

	if (reference_plans_used < REFERENCE_PLANS)
		slot = &reference_plans[reference_plans_used++];
	else
	{
		slot = &reference_plans[0];	/* cannot happen with our tables; keep it bounded */
		SPI_freeplan(slot->plan);
	}
	strlcpy(slot->parent, parent, NAMEDATALEN);
	strlcpy(slot->key, key, NAMEDATALEN);
	slot->plan = plan;
	return plan;
}

/* Whether an UPDATE left the bigint column col as it was (NULL = NULL). */
static bool
column_unchanged(TriggerData *trigdata, const char *col)
{
	TupleDesc	desc = RelationGetDescr(trigdata->tg_relation);
	bool		oldnull,
				newnull;
	int64		oldv = oms_tuple_int64(trigdata->tg_trigtuple, desc, col, &oldnull);
	int64		newv = oms_tuple_int64(trigdata->tg_newtuple, desc, col, &newnull);

	return oldnull == newnull && oldv == newv;
}

static void
check_one_reference(Relation rel, HeapTuple tuple, const char *column,
					const char *parent, const char *key)
{
	bool		isnull;
	int64		value = oms_tuple_int64(tuple, RelationGetDescr(rel), column, &isnull);
	Datum		args[1];
	int			rc;

	if (isnull)
		return;
	args[0] = Int64GetDatum(value);
	rc = SPI_execute_plan(existence_plan(parent, key), args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_plan returned %s checking oms.%s",
			 SPI_result_code_string(rc), parent);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("%s " INT64_FORMAT " of oms.%s does not exist in oms.%s",
						column, value, RelationGetRelationName(rel), parent),
				 errdetail("Key (%s)=(" INT64_FORMAT ") is not present in table \"%s\".",
						   column, value, parent)));
}

PG_FUNCTION_INFO_V1(oms_reference_check);

/*
 * reference_check(column, parent, key [, column, parent, key ...]):
 * BEFORE INSERT OR UPDATE FOR EACH ROW.  Each non-NULL column must name an
 * existing row of oms.<parent>.<key>; no lock is taken on it.
 */
Datum
oms_reference_check(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Trigger    *trigger;
	HeapTuple	tuple;
	int			i;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "oms_reference_check: not called by trigger manager");
	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		elog(ERROR, "oms_reference_check: must be fired BEFORE INSERT OR UPDATE FOR EACH ROW");
	trigger = trigdata->tg_trigger;
	if (trigger->tgnargs == 0 || trigger->tgnargs % 3 != 0)
		elog(ERROR, "oms_reference_check: arguments are (column, parent table, parent key) triples");

	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? trigdata->tg_newtuple
		: trigdata->tg_trigtuple;

	/*
	 * The engine writes only ids it has just read from these tables (it
	 * takes skus and codes, never raw ids), and they cannot go away: its
	 * statements need no second look.  Direct writers always get one.
	 */
	if (oms_engine_active())
		return PointerGetDatum(tuple);

	oms_spi_connect();
	for (i = 0; i < trigger->tgnargs; i += 3)
	{
		const char *column = trigger->tgargs[i];

		/* an UPDATE that leaves the column as it was needs no check */
		if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) && column_unchanged(trigdata, column))
			continue;
		check_one_reference(trigdata->tg_relation, tuple, column,
							trigger->tgargs[i + 1], trigger->tgargs[i + 2]);
	}
	oms_spi_finish();
	return PointerGetDatum(tuple);
}

PG_FUNCTION_INFO_V1(oms_reference_guard);

/*
 * reference_guard(): BEFORE DELETE OR UPDATE FOR EACH ROW, and BEFORE
 * TRUNCATE FOR EACH STATEMENT, on a reference table.  Rows are never
 * deleted and keys never change (tables that point here check without a
 * lock, trusting that); retire a row with active = false.
 */
Datum
oms_reference_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	const char *table;
	const char *key;
	TupleDesc	desc;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "oms_reference_guard: not called by trigger manager");
	if (trigdata->tg_trigger->tgnargs != 1)
		elog(ERROR, "oms_reference_guard: the argument is the key column");
	table = RelationGetRelationName(trigdata->tg_relation);
	key = trigdata->tg_trigger->tgargs[0];

	if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("oms.%s cannot be truncated: orders, stock and history refer to its rows", table),
				 errhint("Retire rows with UPDATE oms.%s SET active = false.", table)));

	desc = RelationGetDescr(trigdata->tg_relation);
	if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
	{
		bool		isnull;

		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("%s " INT64_FORMAT " of oms.%s cannot be deleted: rows of oms.%s are retired, not deleted",
						key, oms_tuple_int64(trigdata->tg_trigtuple, desc, key, &isnull), table, table),
				 errdetail("Orders, stock and history refer to them without locking them, which is safe only because they never go away."),
				 errhint("Set active = false.")));
	}
	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		bool		isnull;

		if (!column_unchanged(trigdata, key))
			ereport(ERROR,
					(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
					 errmsg("%s of oms.%s cannot change (" INT64_FORMAT " to " INT64_FORMAT ")",
							key, table, oms_tuple_int64(trigdata->tg_trigtuple, desc, key, &isnull),
							oms_tuple_int64(trigdata->tg_newtuple, desc, key, &isnull))));
		return PointerGetDatum(trigdata->tg_newtuple);
	}
	return PointerGetDatum(trigdata->tg_trigtuple);
}
