/*-------------------------------------------------------------------------
 *
 * idempotency.h
 *	  Idempotency keys of API calls (idempotency.c), on the ground floor.
 *
 * A mutating API call that takes an idempotency key claims it first, before
 * it locks anything else (lock order: key, then the order row, then stock
 * levels).  The claim is an INSERT into oms.idempotency_key under the
 * call's scope ('place_order', 'payment', ...); a concurrent call with the
 * same scope and key waits on that insert until the first transaction ends:
 *
 *	 OMS_IDEM_NEW		the key is ours: do the work, then oms_idem_store()
 *						the result before returning;
 *	 OMS_IDEM_REPLAY	a committed call used it with the same arguments:
 *						return *first_id and change nothing;
 *	 OMS_IDEM_CONFLICT	a committed call used it with other arguments: the
 *						caller raises ERRCODE_OMS_IDEMPOTENCY_CONFLICT.
 *
 * "The same arguments" means the same request text: the caller renders its
 * arguments into one string (only md5 of it is stored).  If the first call
 * rolls back, the key is free again and the waiting call claims it.
 *
 * Callers must be connected to SPI.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OMS_IDEMPOTENCY_H
#define OMS_IDEMPOTENCY_H

#include "postgres.h"

#include "fmgr.h"

typedef enum OmsIdemOutcome
{
	OMS_IDEM_NEW,
	OMS_IDEM_REPLAY,
	OMS_IDEM_CONFLICT
} OmsIdemOutcome;

/*
 * Claim key in scope for request.  On REPLAY and CONFLICT, *first_id is
 * the bigint the first call stored under result_field (0 when none).
 */
extern OmsIdemOutcome oms_idem_claim(const char *scope, const char *key,
									 const char *request, const char *result_field,
									 int64 *first_id);

/* Store the call's result, {result_field: id}, on the key it claimed. */
extern void oms_idem_store(const char *scope, const char *key,
						   const char *result_field, int64 id);

/*
 * The key of every other mutating API function, one line at the top of its
 * entry point (before it checks or locks anything):
 *
 *	 if (OMS_IDEM_KEYED(fcinfo, 4))
 *		 return oms_idem_call(fcinfo, "create_shipment", 4, 0, oms_create_shipment);
 *
 * The key is argument key_arg (text, NULL = no key: the check above is all
 * such a call pays).  oms_idem_call() claims it in scope (the function's
 * name) for the text forms of the other arguments, less those whose bit is
 * set in unhashed (an argument whose default is the time of the call).  A
 * new key: it calls body with the key argument set NULL and stores the
 * result's text form on the key.  A replay: it returns the first result,
 * read back through the return type's input function, and calls nothing.
 * Other arguments: OM004.  Connects to SPI itself.
 */
#define OMS_IDEM_KEYED(fcinfo, key_arg) \
	((fcinfo)->nargs > (key_arg) && !(fcinfo)->args[(key_arg)].isnull)

/*
 * The same claim for callers that render their own request and keep the
 * result as text (the SQL functions behind oms.idempotency_claim()): on
 * REPLAY *first is the first result (NULL for NULL); a conflict raises
 * OM004 itself.  Callers are connected to SPI.
 */
extern OmsIdemOutcome oms_idem_claim_text(const char *scope, const char *key,
										  const char *request, char **first);
extern bool oms_idem_store_text(const char *scope, const char *key, const char *result);

extern Datum oms_idem_call(FunctionCallInfo fcinfo, const char *scope, int key_arg,
						   uint32 unhashed, PGFunction body);

#endif							/* OMS_IDEMPOTENCY_H */
