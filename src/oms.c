/*-------------------------------------------------------------------------
 *
 * oms.c
 *	  Module entry point of the oms extension: the module magic, settings
 *	  (GUCs) and the engine guard shared by every C file.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "engine/notifier.h"
#include "base/oms.h"
#include "api/purchasing.h"
#include "engine/allocation.h"
#include "api/returns.h"
#include "engine/transitions.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static int	engine_depth = 0;

/* Settings; see the README's settings table. */
char	   *oms_reason = NULL;

static void oms_xact_callback(XactEvent event, void *arg);
static void oms_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
								 SubTransactionId parentSubid, void *arg);

void
_PG_init(void)
{
	RegisterXactCallback(oms_xact_callback, NULL);
	RegisterSubXactCallback(oms_subxact_callback, NULL);
	oms_notifier_init();
	oms_reserve_define_gucs();
	oms_returns_define_gucs();
	oms_purchasing_define_gucs();

	DefineCustomStringVariable("oms.reason",
							   "Reason recorded with the status changes of the current transaction.",
							   "Every status change writes it to oms.status_history and to its event's payload. "
							   "Set it with SET LOCAL (or set_config(..., true)) so it ends with the transaction.",
							   &oms_reason,
							   "",
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);

	oms_notifier_define_gucs();

	MarkGUCPrefixReserved("oms");
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

/*
 * The guard is a depth counter so that engine functions may nest.  Callers
 * leave it in PG_FINALLY; the transaction callbacks are a second line that
 * clears it whenever a (sub)transaction aborts.
 */
void
oms_engine_enter(void)
{
	engine_depth++;
}

void
oms_engine_leave(void)
{
	Assert(engine_depth > 0);
	if (engine_depth > 0)
		engine_depth--;
}

bool
oms_engine_active(void)
{
	return engine_depth > 0;
}

static void
oms_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT)
		engine_depth = 0;
	oms_notifier_xact_end(event);
}

static void
oms_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					 SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		engine_depth = 0;
		oms_status_event_members_reset();
	}
}

void
oms_require_positive(int64 qty, const char *argname)
{
	if (qty <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be greater than zero, got " INT64_FORMAT, argname, qty)));
}

/*
 * Text argument n as a C string: NULL when the SQL value is NULL and the
 * argument is optional, 22023 naming it when it is required.
 */
char *
oms_text_arg(FunctionCallInfo fcinfo, int n, const char *argname, bool required)
{
	if (PG_ARGISNULL(n))
	{
		if (required)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must not be null", argname)));
		return NULL;
	}
	return text_to_cstring(PG_GETARG_TEXT_PP(n));
}

PG_FUNCTION_INFO_V1(oms_version);

/*
 * oms.version() returns the version of the loaded module, which the
 * Makefile takes from oms.control.
 */
Datum
oms_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(OMS_VERSION));
}

PG_FUNCTION_INFO_V1(oms_document_number);

/*
 * oms.document_number(prefix, n): prefix, a dash and n with at least six
 * digits (SO-000123; SO-1000000 past a million).  In C because it runs in
 * the column defaults of every order, shipment, RMA and purchase order: a
 * SQL body that names n twice is not inlined when n is nextval(), and then
 * plans itself again for every statement that inserts a row.
 */
Datum
oms_document_number(PG_FUNCTION_ARGS)
{
	char	   *prefix = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *digits = psprintf(INT64_FORMAT, PG_GETARG_INT64(1));
	int			pad = Max(0, 6 - (int) strlen(digits));

	/* zeros on the left, as lpad would put them */
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%s-%.*s%s", prefix, pad, "000000", digits)));
}
