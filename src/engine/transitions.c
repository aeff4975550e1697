/*-------------------------------------------------------------------------
 *
 * transitions.c
 *	  The state-machine engine: the trigger oms.status_guard() that holds a
 *	  status column to its machine, and the per-backend cache of the
 *	  machines that lets it do so without a query per row.
 *
 * oms.status_guard(machine, key_column [, status_column]), fired
 *	 BEFORE INSERT OR UPDATE FOR EACH ROW, refuses an insert in a status that
 *	   is not an initial state of the machine and an update to a status the
 *	   machine does not allow from the old one (OM002), and stamps the column
 *	   <status_column>_changed_at when the table has one;
 *	 AFTER INSERT OR UPDATE FOR EACH ROW, checks the move again (a later
 *	   BEFORE trigger may have changed the row) and records it: one row of
 *	   oms.status_history and the event "<machine>.<to_status>".
 * Attached BEFORE only, the guard records the change itself.  Attached both
 * ways, the BEFORE trigger leaves the record to the AFTER trigger, so a row
 * that is not written after all (INSERT ... ON CONFLICT, a later trigger
 * returning NULL) leaves no history and no event.  An update that leaves the
 * status as it was is not a change: nothing is checked or recorded.
 *
 * The cache.  oms.status_machine and oms.status_transition are read into two
 * hash tables in their own memory context.  A statement trigger on both
 * tables (oms.status_config_changed) registers a relcache invalidation of
 * the changed table, as pg_cron does for its job table: this backend
 * processes it at the end of the statement (and again if the transaction
 * rolls back), other backends when they start their next transaction.  The
 * relcache callback only marks the cache stale; the next lookup rebuilds it
 * from the latest committed state rather than from the transaction snapshot,
 * which under REPEATABLE READ may predate the change that invalidated it.
 * Once per transaction the cache also checks that the tables are still the
 * ones it read, which catches DROP and CREATE EXTENSION in one backend.
 *
 * History and events are written as the owner of the extension's tables,
 * so the session that changes a status needs no privilege on them and
 * cannot forge them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "base/oms.h"
#include "engine/events.h"
#include "engine/transitions.h"

/* Names are at most 63 bytes: the tables' CHECK constraints say so. */
typedef struct StateKey
{
	char		machine[NAMEDATALEN];
	char		status[NAMEDATALEN];
} StateKey;

/* A state of a machine; the hash key must come first. */
typedef struct StateEntry
{
	StateKey	key;
	bool		initial;		/* the machine may start in it */
	List	   *next;			/* states it may move to (char *), sorted */
} StateEntry;

typedef struct MachineEntry
{
	char		machine[NAMEDATALEN];
	List	   *initial;		/* initial states (char *), sorted */
} MachineEntry;

/* The guard's trigger arguments and the columns they name. */
typedef struct GuardArgs
{
	const char *machine;
	const char *key_column;
	const char *status_column;
	int			key_attno;
	int			status_attno;
} GuardArgs;

/* oms.reason: recorded with the status changes of the transaction (oms.c defines it) */
char	   *oms_reason = NULL;

static MemoryContext cache_context = NULL;
static HTAB *machine_cache = NULL;
static HTAB *state_cache = NULL;
static bool cache_valid = false;
static bool callback_registered = false;
static Oid	machine_relid = InvalidOid;
static Oid	transition_relid = InvalidOid;
static Oid	tables_owner = InvalidOid;
static LocalTransactionId cache_checked_lxid = InvalidLocalTransactionId;

static void cache_invalidate_callback(Datum arg, Oid relid);
static void cache_ensure(void);
static void cache_load(void);
static void cache_add(const char *machine, const char *from_status,
					  const char *to_status);
static int	compare_names(const ListCell *a, const ListCell *b);
static bool make_key(StateKey *key, const char *machine, const char *status);
static MachineEntry *find_machine(const char *machine);
static StateEntry *find_state(const char *machine, const char *status);
static bool list_has_name(List *names, const char *name);
static char *join_names(List *names);
static void parse_guard_args(Trigger *trigger, Relation rel, GuardArgs *args);
static char *status_value(HeapTuple tuple, TupleDesc desc, int attno);
static int64 key_value(HeapTuple tuple, Relation rel, const GuardArgs *args);
static void check_move(const GuardArgs *args, Relation rel, int64 entity_id,
					   const char *from_status, const char *to_status);
static HeapTuple stamp_change(HeapTuple tuple, Relation rel, const GuardArgs *args);
static bool trigger_fires(const Trigger *trigger);
static bool has_after_guard(Relation rel, const GuardArgs *args, Oid fnoid,
							bool for_insert);
static void append_json_string(StringInfo buf, const char *s);
static void record_change(const GuardArgs *args, int64 entity_id,
						  const char *from_status, const char *to_status);

static OmsPlan plan_load = {
	"SELECT machine, CAST(NULL AS pg_catalog.text), initial_status FROM oms.status_machine"
	" UNION ALL"
	" SELECT machine, from_status, to_status FROM oms.status_transition",
	0, {InvalidOid}
};
static OmsPlan plan_insert_history = {
	"INSERT INTO oms.status_history (machine, entity_id, from_status, to_status, reason)"
	" VALUES ($1, $2, $3, $4, $5)",
	5, {TEXTOID, INT8OID, TEXTOID, TEXTOID, TEXTOID}
};

/* ----------------------------------------------------------------
 * The cache of the machines
 * ----------------------------------------------------------------
 */

/*
 * Relcache callback: InvalidOid means "every relation" (for example after
 * the invalidation queue overflowed).  Only marks the cache stale: a caller
 * may be holding entries of it.
 */
static void
cache_invalidate_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == machine_relid || relid == transition_relid)
		cache_valid = false;
}

static void
cache_ensure(void)
{
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(cache_invalidate_callback, (Datum) 0);
		callback_registered = true;
	}

	/* Once per transaction: are these still the tables the cache read? */
	if (cache_valid && cache_checked_lxid != MyProc->lxid)
	{
		if (oms_relid("status_machine") != machine_relid ||
			oms_relid("status_transition") != transition_relid)
			cache_valid = false;
		cache_checked_lxid = MyProc->lxid;
	}

	/*
	 * Mark the cache valid before reading: an invalidation processed while
	 * reading marks it stale again, and the loop reads once more.
	 */
	while (!cache_valid)
	{
		cache_valid = true;
		PG_TRY();
		{
			cache_load();
		}
		PG_CATCH();
		{
			cache_valid = false;
			PG_RE_THROW();
		}
		PG_END_TRY();
		cache_checked_lxid = MyProc->lxid;
	}
}

static void
cache_load(void)
{
	HASHCTL		ctl;
	HASH_SEQ_STATUS scan;
	MachineEntry *m;
	StateEntry *st;
	OmsSavedUser saved;
	uint64		i;
	int			rc;

	if (cache_context == NULL)
		cache_context = AllocSetContextCreate(CacheMemoryContext,
											  "oms state machines",
											  ALLOCSET_SMALL_SIZES);
	else
		MemoryContextReset(cache_context);
	machine_cache = NULL;
	state_cache = NULL;

	machine_relid = oms_relid("status_machine");
	transition_relid = oms_relid("status_transition");
	tables_owner = oms_relation_owner(transition_relid);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = NAMEDATALEN;
	ctl.entrysize = sizeof(MachineEntry);
	ctl.hcxt = cache_context;
	machine_cache = hash_create("oms state machines", 16, &ctl,
								HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	ctl.keysize = sizeof(StateKey);
	ctl.entrysize = sizeof(StateEntry);
	state_cache = hash_create("oms machine states", 128, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	oms_spi_connect();
	oms_become_owner(tables_owner, &saved);
	rc = SPI_execute_snapshot(oms_plan_prepare(&plan_load), NULL, NULL,
							  GetLatestSnapshot(), InvalidSnapshot,
							  true, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_snapshot returned %s for \"%s\"",
			 SPI_result_code_string(rc), plan_load.sql);
	oms_restore_user(&saved);

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;

		CHECK_FOR_INTERRUPTS();
		cache_add(SPI_getvalue(row, desc, 1), SPI_getvalue(row, desc, 2),
				  SPI_getvalue(row, desc, 3));
	}
	oms_spi_finish();

	/* Sorted lists make every message the same from run to run. */
	hash_seq_init(&scan, machine_cache);
	while ((m = hash_seq_search(&scan)) != NULL)
		list_sort(m->initial, compare_names);
	hash_seq_init(&scan, state_cache);
	while ((st = hash_seq_search(&scan)) != NULL)
		list_sort(st->next, compare_names);
}

/*
 * Add one row: an initial state when from_status is NULL, else a move.
 * Every state named gets an entry, so final states are known states.
 */
static void
cache_add(const char *machine, const char *from_status, const char *to_status)
{
	MemoryContext oldcxt;
	MachineEntry *m;
	StateEntry *to;
	StateKey	key;
	bool		found;

	if (machine == NULL || to_status == NULL ||
		!make_key(&key, machine, to_status) ||
		(from_status != NULL && strlen(from_status) >= NAMEDATALEN))
		elog(ERROR, "invalid row in the state machine tables");

	oldcxt = MemoryContextSwitchTo(cache_context);

	m = hash_search(machine_cache, machine, HASH_ENTER, &found);
	if (!found)
		m->initial = NIL;
	to = hash_search(state_cache, &key, HASH_ENTER, &found);
	if (!found)
	{
		to->initial = false;
		to->next = NIL;
	}

	if (from_status == NULL)
	{
		to->initial = true;
		m->initial = lappend(m->initial, pstrdup(to_status));
	}
	else
	{
		StateEntry *from;

		make_key(&key, machine, from_status);
		from = hash_search(state_cache, &key, HASH_ENTER, &found);
		if (!found)
		{
			from->initial = false;
			from->next = NIL;
		}
		from->next = lappend(from->next, pstrdup(to_status));
	}

	MemoryContextSwitchTo(oldcxt);
}

static int
compare_names(const ListCell *a, const ListCell *b)
{
	return strcmp((const char *) lfirst(a), (const char *) lfirst(b));
}

/* False when a name is too long to be in the cache at all. */
static bool
make_key(StateKey *key, const char *machine, const char *status)
{
	if (strlen(machine) >= NAMEDATALEN || strlen(status) >= NAMEDATALEN)
		return false;
	memset(key, 0, sizeof(StateKey));
	strlcpy(key->machine, machine, NAMEDATALEN);
	strlcpy(key->status, status, NAMEDATALEN);
	return true;
}

static MachineEntry *
find_machine(const char *machine)
{
	if (strlen(machine) >= NAMEDATALEN)
		return NULL;
	return (MachineEntry *) hash_search(machine_cache, machine, HASH_FIND, NULL);
}

static StateEntry *
find_state(const char *machine, const char *status)
{
	StateKey	key;

	if (!make_key(&key, machine, status))
		return NULL;
	return (StateEntry *) hash_search(state_cache, &key, HASH_FIND, NULL);
}

static bool
list_has_name(List *names, const char *name)
{
	ListCell   *lc;

	foreach(lc, names)
	{
		if (strcmp((const char *) lfirst(lc), name) == 0)
			return true;
	}
	return false;
}

static char *
join_names(List *names)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, names)
	{
		if (buf.len > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, (const char *) lfirst(lc));
	}
	return buf.data;
}

bool
oms_transition_allowed(const char *machine, const char *from_status,
					   const char *to_status)
{
	StateEntry *st;

	if (machine == NULL || to_status == NULL)
		return false;
	cache_ensure();
	if (from_status == NULL)
	{
		st = find_state(machine, to_status);
		return st != NULL && st->initial;
	}
	st = find_state(machine, from_status);
	return st != NULL && list_has_name(st->next, to_status);
}

/* ----------------------------------------------------------------
 * The guard
 * ----------------------------------------------------------------
 */

static void
parse_guard_args(Trigger *trigger, Relation rel, GuardArgs *args)
{
	TupleDesc	desc = RelationGetDescr(rel);

	if (trigger->tgnargs < 2 || trigger->tgnargs > 3)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("oms.status_guard() takes 2 or 3 arguments, trigger \"%s\" on table \"%s\" gives %d",
						trigger->tgname, RelationGetRelationName(rel), trigger->tgnargs),
				 errdetail("The arguments are the machine, the key column and optionally the status column."),
				 errhint("Use EXECUTE FUNCTION oms.status_guard('order', 'order_id').")));

	args->machine = trigger->tgargs[0];
	args->key_column = trigger->tgargs[1];
	args->status_column = trigger->tgnargs > 2 ? trigger->tgargs[2] : "status";
	args->key_attno = SPI_fnumber(desc, args->key_column);
	args->status_attno = SPI_fnumber(desc, args->status_column);

	if (args->key_attno <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("key column \"%s\" of trigger \"%s\" does not exist in table \"%s\"",
						args->key_column, trigger->tgname, RelationGetRelationName(rel))));
	if (args->status_attno <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("status column \"%s\" of trigger \"%s\" does not exist in table \"%s\"",
						args->status_column, trigger->tgname, RelationGetRelationName(rel))));
}

/* The status as a C string, NULL for NULL; any type with an output function. */
static char *
status_value(HeapTuple tuple, TupleDesc desc, int attno)
{
	Oid			typid = TupleDescAttr(desc, attno - 1)->atttypid;
	bool		isnull;
	Datum		d = heap_getattr(tuple, attno, desc, &isnull);

	if (isnull)
		return NULL;
	if (typid == TEXTOID || typid == VARCHAROID)
		return TextDatumGetCString(d);
	return SPI_getvalue(tuple, desc, attno);
}

static int64
key_value(HeapTuple tuple, Relation rel, const GuardArgs *args)
{
	TupleDesc	desc = RelationGetDescr(rel);
	Oid			typid = TupleDescAttr(desc, args->key_attno - 1)->atttypid;
	bool		isnull;
	Datum		d = heap_getattr(tuple, args->key_attno, desc, &isnull);

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("key column \"%s\" of table \"%s\" is null",
						args->key_column, RelationGetRelationName(rel)),
				 errdetail("oms.status_guard() records each status change under the row's key.")));
	switch (typid)
	{
		case INT8OID:
			return DatumGetInt64(d);
		case INT4OID:
			return (int64) DatumGetInt32(d);
		case INT2OID:
			return (int64) DatumGetInt16(d);
		default:
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("key column \"%s\" of table \"%s\" has type %s, not an integer type",
							args->key_column, RelationGetRelationName(rel),
							format_type_be(typid))));
	}
	return 0;					/* keep compiler quiet */
}

/*
 * Refuse a move the machine does not allow; from_status NULL is an insert
 * (or an update of a row whose status was NULL).
 */
static void
check_move(const GuardArgs *args, Relation rel, int64 entity_id,
		   const char *from_status, const char *to_status)
{
	MachineEntry *m;
	StateEntry *st;

	cache_ensure();

	m = find_machine(args->machine);
	if (m == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
				 errmsg("unknown state machine \"%s\"", args->machine),
				 errdetail("Table \"%s\" is guarded by machine \"%s\", which has no rows in oms.status_machine or oms.status_transition.",
						   RelationGetRelationName(rel), args->machine),
				 errhint("Add the machine's initial states to oms.status_machine and its moves to oms.status_transition.")));

	if (from_status == NULL)
	{
		st = find_state(args->machine, to_status);
		if (st == NULL || !st->initial)
			ereport(ERROR,
					(errcode(ERRCODE_OMS_INVALID_TRANSITION),
					 errmsg("%s " INT64_FORMAT " cannot start in status \"%s\"",
							args->machine, entity_id, to_status),
					 m->initial != NIL ?
					 errdetail("Allowed initial statuses: %s.", join_names(m->initial)) :
					 errdetail("Machine \"%s\" has no initial status.", args->machine)));
		return;
	}

	st = find_state(args->machine, from_status);
	if (st == NULL || !list_has_name(st->next, to_status))
		ereport(ERROR,
				(errcode(ERRCODE_OMS_INVALID_TRANSITION),
				 errmsg("invalid status transition of %s " INT64_FORMAT " from \"%s\" to \"%s\"",
						args->machine, entity_id, from_status, to_status),
				 st == NULL ?
				 errdetail("Status \"%s\" is not a state of machine \"%s\", so no move leaves it.",
						   from_status, args->machine) :
				 st->next != NIL ?
				 errdetail("Allowed from \"%s\": %s.", from_status, join_names(st->next)) :
				 errdetail("Allowed from \"%s\": none: it is final.", from_status)));
}

/* Set <status_column>_changed_at to now() when the table has that column. */
static HeapTuple
stamp_change(HeapTuple tuple, Relation rel, const GuardArgs *args)
{
	TupleDesc	desc = RelationGetDescr(rel);
	char	   *colname = psprintf("%s_changed_at", args->status_column);
	int			attno = SPI_fnumber(desc, colname);
	Datum		value;
	bool		isnull = false;

	if (attno <= 0)
		return tuple;
	if (TupleDescAttr(desc, attno - 1)->atttypid != TIMESTAMPTZOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of table \"%s\" must be timestamptz to be stamped by oms.status_guard()",
						colname, RelationGetRelationName(rel))));
	value = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	return heap_modify_tuple_by_cols(tuple, desc, 1, &attno, &value, &isnull);
}

/* Whether a trigger fires under the current session_replication_role. */
static bool
trigger_fires(const Trigger *trigger)
{
	if (trigger->tgenabled == TRIGGER_DISABLED)
		return false;
	if (SessionReplicationRole == SESSION_REPLICATION_ROLE_REPLICA)
		return trigger->tgenabled == TRIGGER_FIRES_ON_REPLICA ||
			trigger->tgenabled == TRIGGER_FIRES_ALWAYS;
	return trigger->tgenabled != TRIGGER_FIRES_ON_REPLICA;
}

/*
 * Whether the table also has the guard AFTER ... FOR EACH ROW for the same
 * machine and status column, firing for this event: then that trigger
 * records the change.
 */
static bool
has_after_guard(Relation rel, const GuardArgs *args, Oid fnoid, bool for_insert)
{
	TriggerDesc *trigdesc = rel->trigdesc;
	int			i;

	if (trigdesc == NULL)
		return false;
	for (i = 0; i < trigdesc->numtriggers; i++)
	{
		const Trigger *t = &trigdesc->triggers[i];
		const char *status_column;

		if (t->tgfoid != fnoid ||
			!TRIGGER_FOR_ROW(t->tgtype) || !TRIGGER_FOR_AFTER(t->tgtype) ||
			!(for_insert ? TRIGGER_FOR_INSERT(t->tgtype) : TRIGGER_FOR_UPDATE(t->tgtype)) ||
			t->tgqual != NULL || !trigger_fires(t) ||
			t->tgnargs < 2 || t->tgnargs > 3)
			continue;
		status_column = t->tgnargs > 2 ? t->tgargs[2] : "status";
		if (strcmp(t->tgargs[0], args->machine) != 0 ||
			strcmp(status_column, args->status_column) != 0)
			continue;
		/* UPDATE OF a column list: it must name the status column */
		if (!for_insert && t->tgnattr > 0)
		{
			bool		covers = false;
			int			k;

			for (k = 0; k < t->tgnattr; k++)
				if (t->tgattr[k] == args->status_attno)
					covers = true;
			if (!covers)
				continue;
		}
		return true;
	}
	return false;
}

/*
 * Members an API function adds to the event of the next status change of
 * one row (oms_status_event_members), kept in the transaction's memory and
 * tagged with its local transaction id, so a value left by a failed call
 * is never seen by a later transaction.
 */
static char *extra_machine;
static int64 extra_entity_id;
static char *extra_members;
static LocalTransactionId extra_lxid = InvalidLocalTransactionId;

void
oms_status_event_members_reset(void)
{
	extra_members = NULL;
	extra_lxid = InvalidLocalTransactionId;
}

void
oms_status_event_members(const char *machine, int64 entity_id, const char *members)
{
	MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

	extra_machine = pstrdup(machine);
	extra_entity_id = entity_id;
	extra_members = members ? pstrdup(members) : NULL;
	extra_lxid = MyProc->lxid;
	MemoryContextSwitchTo(old);
}

static void
append_json_string(StringInfo buf, const char *s)
{
	if (s == NULL)
		appendStringInfoString(buf, "null");
	else
		escape_json(buf, s);
}

/* One history row and one event for a change that passed check_move(). */
static void
record_change(const GuardArgs *args, int64 entity_id,
			  const char *from_status, const char *to_status)
{
	char	   *reason = NULL;
	Datum		v[5];
	char		n[5] = {' ', ' ', ' ', ' ', ' '};
	OmsSavedUser saved;
	StringInfoData payload;

	if (oms_reason != NULL && oms_reason[0] != '\0')
		reason = pstrdup(oms_reason);

	v[0] = CStringGetTextDatum(args->machine);
	v[1] = Int64GetDatum(entity_id);
	v[2] = from_status ? CStringGetTextDatum(from_status) : (Datum) 0;
	n[2] = from_status ? ' ' : 'n';
	v[3] = CStringGetTextDatum(to_status);
	v[4] = reason ? CStringGetTextDatum(reason) : (Datum) 0;
	n[4] = reason ? ' ' : 'n';

	oms_spi_connect();
	oms_become_owner(tables_owner, &saved);
	oms_plan_exec(&plan_insert_history, v, n, false, 0, SPI_OK_INSERT);
	oms_restore_user(&saved);
	oms_spi_finish();

	initStringInfo(&payload);
	appendStringInfoString(&payload, "{\"from\": ");
	append_json_string(&payload, from_status);
	appendStringInfoString(&payload, ", \"to\": ");
	append_json_string(&payload, to_status);
	appendStringInfoString(&payload, ", \"reason\": ");
	append_json_string(&payload, reason);
	if (extra_members != NULL && extra_lxid == MyProc->lxid &&
		strcmp(extra_machine, args->machine) == 0 && extra_entity_id == entity_id)
	{
		appendStringInfoString(&payload, ", ");
		appendStringInfoString(&payload, extra_members);
		extra_members = NULL;
	}
	appendStringInfoChar(&payload, '}');

	(void) oms_emit_event_json(psprintf("%s.%s", args->machine, to_status),
							   args->machine, entity_id, payload.data);
}

PG_FUNCTION_INFO_V1(oms_status_guard);

/*
 * oms.status_guard(machine, key_column [, status_column]): BEFORE or AFTER
 * INSERT OR UPDATE [OF status_column] FOR EACH ROW.
 */
Datum
oms_status_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	GuardArgs	args;
	HeapTuple	newtuple;
	char	   *old_status = NULL;
	char	   *new_status;
	int64		entity_id;
	bool		is_insert;
	bool		is_after;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "oms_status_guard: not called by trigger manager");
	rel = trigdata->tg_relation;
	if (!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		TRIGGER_FIRED_INSTEAD(trigdata->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) ||
		  TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" on table \"%s\" must be BEFORE or AFTER INSERT OR UPDATE FOR EACH ROW",
						trigdata->tg_trigger->tgname, RelationGetRelationName(rel)),
				 errdetail("oms.status_guard() checks and records the status of each written row.")));

	parse_guard_args(trigdata->tg_trigger, rel, &args);
	is_insert = TRIGGER_FIRED_BY_INSERT(trigdata->tg_event);
	is_after = TRIGGER_FIRED_AFTER(trigdata->tg_event);
	newtuple = is_insert ? trigdata->tg_trigtuple : trigdata->tg_newtuple;

	new_status = status_value(newtuple, RelationGetDescr(rel), args.status_attno);
	if (!is_insert)
	{
		old_status = status_value(trigdata->tg_trigtuple, RelationGetDescr(rel),
								  args.status_attno);
		/* not a change: nothing to check, stamp or record */
		if (old_status == NULL ? new_status == NULL :
			(new_status != NULL && strcmp(old_status, new_status) == 0))
			return is_after ? PointerGetDatum(NULL) : PointerGetDatum(newtuple);
	}

	entity_id = key_value(newtuple, rel, &args);
	if (new_status == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("status of %s " INT64_FORMAT " must not be null",
						args.machine, entity_id)));

	check_move(&args, rel, entity_id, old_status, new_status);

	if (is_after)
	{
		record_change(&args, entity_id, old_status, new_status);
		return PointerGetDatum(NULL);
	}
	if (!has_after_guard(rel, &args, fcinfo->flinfo->fn_oid, is_insert))
		record_change(&args, entity_id, old_status, new_status);
	return PointerGetDatum(stamp_change(newtuple, rel, &args));
}

PG_FUNCTION_INFO_V1(oms_status_config_changed);

/*
 * AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE FOR EACH STATEMENT on
 * oms.status_machine and oms.status_transition: every backend's cache of
 * them is stale once this transaction commits (this backend's at once).
 */
Datum
oms_status_config_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "oms_status_config_changed: not called by trigger manager");
	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}

/*
 * Set oms.reason until the end of the current transaction (or of the
 * current subtransaction, if it aborts), as SET LOCAL would.
 */
void
oms_set_reason(const char *reason)
{
	(void) set_config_option("oms.reason", reason ? reason : "",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
}
