/*-------------------------------------------------------------------------
 *
 * payment_ledger.h
 *	  The payment ledger (payment_ledger.c) as seen by other C files: recording a
 *	  payment (the returns module issues refunds this way), the refundable
 *	  balance of an order, and the shipping gate on payment_status.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OMS_PAYMENTS_H
#define OMS_PAYMENTS_H

#include "postgres.h"

#include "utils/numeric.h"

/*
 * Record one payment of kind "authorization", "capture", "refund" or "void"
 * on an order and derive the order's payment_status again, in the current
 * transaction.  Returns the payment id.  Exactly what oms.record_payment()
 * and oms.refund() do:
 *
 *	 amount		> 0, at most two decimal places (22023), fits numeric(14,2)
 *				(22003);
 *	 currency	NULL for the order's; another one is OM010;
 *	 provider, provider_ref, reason: stored as given, may be NULL;
 *	 idem_key	NULL for none.  Claimed first, in scope "payment": a call
 *				with the same key and the same arguments returns the first
 *				payment id and writes nothing, other arguments are OM004.
 *
 * Rules (OM005): a capture or void at most authorized - captured - voided
 * (a capture on an order with no authorization at all is a direct sale: an
 * authorization and its capture are recorded together and the capture's id
 * returned); a refund at most captured - refunded.  Unknown order: OM003.
 * Emits payment.authorized / payment.captured / payment.voided /
 * refund.issued.
 *
 * Locks: the idempotency key, then the order row (FOR UPDATE), the same
 * order as place_order.  A caller that already holds the order row lock
 * and passes a key must use a key no concurrent transaction can claim
 * first (one derived from its own locked row, such as "rma-45-refund"), or
 * the two may deadlock.  Connects to SPI itself (with or without an open
 * connection) and writes as the owner of the extension's tables.
 */
extern int64 oms_payment_record(int64 order_id, const char *kind, Numeric amount,
								const char *currency, const char *provider,
								const char *provider_ref, const char *reason,
								const char *idem_key);

/*
 * captured - refunded of an order, as of the current snapshot (OM003 for an
 * unknown order).  Informational: oms_payment_record() checks it again under
 * the order lock.  Allocated in the caller's memory context.
 */
extern Numeric oms_payment_refundable(int64 order_id);

/*
 * The shipping gate: whether an order whose payment_required is
 * payment_required ("none", "authorized", "captured") may ship with this
 * payment_status.  "none" always may; "authorized" when authorized,
 * partially_paid, paid or partially_refunded; "captured" when paid or
 * partially_refunded.  Anything else, and a NULL requirement or (unless
 * none) status, is false.  SQL: oms.payment_satisfied(required, status).
 */
extern bool oms_payment_satisfies(const char *payment_required, const char *payment_status);

/*
 * The payment_status of an order of this total with these ledger sums
 * (README, Payments): a static string.
 */
extern const char *oms_payment_status_for(Numeric total, Numeric authorized,
										  Numeric captured, Numeric refunded,
										  Numeric voided);

#endif							/* OMS_PAYMENTS_H */
