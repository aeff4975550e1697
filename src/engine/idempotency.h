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

#endif							/* OMS_IDEMPOTENCY_H */
