/*-------------------------------------------------------------------------
 *
 * payments.c
 *	  The payments API: record_payment, refund, refundable_balance, and the
 *	  two pure functions payment_status_of and payment_satisfied.  Each
 *	  checks its arguments and calls the payment ledger
 *	  (engine/payment_ledger.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "base/oms.h"
#include "engine/payment_ledger.h"

PG_FUNCTION_INFO_V1(oms_record_payment);

/*
 * record_payment(order_id, kind, amount, currency, provider, provider_ref,
 * idempotency_key)
 */
Datum
oms_record_payment(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("order_id must not be null")));
	PG_RETURN_INT64(oms_payment_record(PG_GETARG_INT64(0),
									   oms_text_arg(fcinfo, 1, "kind", true),
									   PG_ARGISNULL(2) ? NULL : PG_GETARG_NUMERIC(2),
									   oms_text_arg(fcinfo, 3, "currency", false),
									   oms_text_arg(fcinfo, 4, "provider", false),
									   oms_text_arg(fcinfo, 5, "provider_ref", false),
									   NULL,
									   oms_text_arg(fcinfo, 6, "idempotency_key", false)));
}

PG_FUNCTION_INFO_V1(oms_refund);

/*
 * refund(order_id, amount, reason, idempotency_key, provider, provider_ref):
 * record_payment of kind refund, with a reason.
 */
Datum
oms_refund(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("order_id must not be null")));
	PG_RETURN_INT64(oms_payment_record(PG_GETARG_INT64(0),
									   "refund",
									   PG_ARGISNULL(1) ? NULL : PG_GETARG_NUMERIC(1),
									   NULL,
									   oms_text_arg(fcinfo, 4, "provider", false),
									   oms_text_arg(fcinfo, 5, "provider_ref", false),
									   oms_text_arg(fcinfo, 2, "reason", false),
									   oms_text_arg(fcinfo, 3, "idempotency_key", false)));
}

PG_FUNCTION_INFO_V1(oms_refundable_balance);

/* refundable_balance(order_id): STRICT. */
Datum
oms_refundable_balance(PG_FUNCTION_ARGS)
{
	PG_RETURN_NUMERIC(oms_payment_refundable(PG_GETARG_INT64(0)));
}

PG_FUNCTION_INFO_V1(oms_payment_status_of);

/* payment_status_of(total, authorized, captured, refunded, voided): STRICT. */
Datum
oms_payment_status_of(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(oms_payment_status_for(PG_GETARG_NUMERIC(0),
															PG_GETARG_NUMERIC(1),
															PG_GETARG_NUMERIC(2),
															PG_GETARG_NUMERIC(3),
															PG_GETARG_NUMERIC(4))));
}

PG_FUNCTION_INFO_V1(oms_payment_satisfied);

/*
 * payment_satisfied(required, status), declared in 60_fulfillment.sql
 * where the fulfillment views use it.  Not STRICT: a NULL is false, except
 * that nothing is required of an order whose requirement is none.
 */
Datum
oms_payment_satisfied(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(oms_payment_satisfies(PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0)),
										 PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1))));
}
