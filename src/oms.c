/*-------------------------------------------------------------------------
 *
 * oms.c
 *	  Module init of the oms extension: the module magic, every setting
 *	  (GUC) in one place, and the transaction callbacks.  Each setting's
 *	  variable lives in the file that reads it; README.md lists them all.
 *	  Also the two SQL functions that belong to no layer: oms.version() and
 *	  oms.document_number().
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "api/holds.h"
#include "api/purchasing.h"
#include "api/returns.h"
#include "base/oms.h"
#include "engine/allocation.h"
#include "engine/notifier.h"
#include "engine/transitions.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static void define_settings(void);

/*
 * oms.customer_notifications: read by SQL only, in the WHEN clause of the
 * trigger that renders customer notifications (src/sql/97_notifications.sql).
 */
static bool oms_customer_notifications = false;
static void oms_xact_callback(XactEvent event, void *arg);
static void oms_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
								 SubTransactionId parentSubid, void *arg);

void
_PG_init(void)
{
	RegisterXactCallback(oms_xact_callback, NULL);
	RegisterSubXactCallback(oms_subxact_callback, NULL);
	oms_notifier_init();
	define_settings();
	MarkGUCPrefixReserved("oms");
}

/* Every oms.* setting, in the order the README's settings table gives them. */
static void
define_settings(void)
{
	/* engine/allocation.c, api/holds.c */
	DefineCustomEnumVariable("oms.allocation_strategy",
							 "How place_order chooses locations: priority, fewest_shipments or nearest.",
							 NULL, &oms_allocation_strategy, OMS_STRATEGY_PRIORITY,
							 oms_strategy_options, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("oms.allow_split",
							 "Whether an order line may be split across locations when no single one can fill it.",
							 NULL, &oms_allow_split, true, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("oms.hold_ttl",
							"Default time to live of a cart hold.",
							NULL, &oms_hold_ttl, 900, 1, OMS_HOLD_TTL_MAX_DAYS * 24 * 3600,
							PGC_USERSET, GUC_UNIT_S, NULL, NULL, NULL);

	/* api/returns.c */
	DefineCustomIntVariable("oms.return_window_days",
							"Days after delivery within which a return may be requested (0: no limit).",
							NULL, &oms_return_window_days, 30, 0, 3650,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomEnumVariable("oms.refund_shipping",
							 "Whether a refund includes shipping: none, or proportional to the value returned.",
							 NULL, &oms_refund_shipping, 0, oms_refund_shipping_options,
							 PGC_USERSET, 0, NULL, NULL, NULL);

	/* api/purchasing.c */
	DefineCustomRealVariable("oms.over_receipt_tolerance",
							 "Percent of a purchase-order line that may be received above the quantity ordered.",
							 "0 (the default) refuses any over-receipt with OM005; 5 accepts up to 5% more "
							 "than ordered (rounded down to whole units).",
							 &oms_over_receipt_tolerance,
							 0.0, 0.0, 1000.0,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	/* engine/transitions.c */
	DefineCustomStringVariable("oms.reason",
							   "Reason recorded with the status changes of the current transaction.",
							   "Every status change writes it to oms.status_history and to its event's payload. "
							   "Set it with SET LOCAL (or set_config(..., true)) so it ends with the transaction.",
							   &oms_reason,
							   "",
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);

	/* engine/notifier.c */
	DefineCustomEnumVariable("oms.notify_events",
							 "How LISTEN oms_events consumers are woken when events commit.",
							 "on: through the database's notifier when oms is preloaded (commits do not serialize), "
							 "else by a NOTIFY in each transaction; commit: always by a NOTIFY in each transaction "
							 "(payload: each event id); off: never (consumers poll oms.claim_events()).",
							 &oms_notify_mode,
							 OMS_NOTIFY_ON,
							 oms_notify_mode_options,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("oms.notifier_idle_timeout",
							"Seconds a database's notifier waits for events before it exits.",
							"It starts again with the next event.  While it runs, the database cannot be dropped; "
							"DROP DATABASE waits 5 s for other sessions to leave, so keep this below that.",
							&oms_notifier_idle_timeout_s,
							2, 1, 3600,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	/* src/sql/97_notifications.sql (read there with current_setting) */
	DefineCustomBoolVariable("oms.customer_notifications",
							 "Whether business events are rendered into customer notifications (oms.notification).",
							 "Off by default: rendering costs place_order (README, Customer notifications); "
							 "turn it on per database with ALTER DATABASE ... SET.",
							 &oms_customer_notifications, false, PGC_SUSET, 0, NULL, NULL, NULL);
}

/*
 * The engine guard (base/spi_plan.c) is cleared whenever a (sub)transaction
 * aborts and at every top-level end; a commit wakes the notifier.
 */
static void
oms_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT)
		oms_engine_reset();
	oms_notifier_xact_end(event);
}

static void
oms_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					 SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		oms_engine_reset();
		oms_status_event_members_reset();
	}
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
