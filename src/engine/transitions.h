/*-------------------------------------------------------------------------
 *
 * transitions.h
 *	  The state-machine engine (transitions.c) as seen by API files.
 *
 * A stateful table is held to its machine by the trigger function
 * oms.status_guard(machine, key_column [, status_column]); API files need
 * nothing more than to write the status column.  They may ask the
 * machine first, to refuse early with a better message, and set the reason
 * the change is recorded with by oms_set_reason().
 *
 *-------------------------------------------------------------------------
 */
#ifndef OMS_TRANSITIONS_H
#define OMS_TRANSITIONS_H

#include "postgres.h"

/*
 * oms.reason (defined by module init, oms.c) is recorded with every status
 * change (oms.status_history and the event payload).  oms_set_reason()
 * sets it for the rest of the current transaction only, like SET LOCAL;
 * API functions call it before they move a status.  NULL clears it.
 */
extern char *oms_reason;
extern void oms_set_reason(const char *reason);

/*
 * Whether machine allows the move from_status -> to_status; from_status
 * NULL asks whether to_status is an initial state.  Reads the per-backend
 * cache of oms.status_transition and oms.status_machine.
 */
extern bool oms_transition_allowed(const char *machine, const char *from_status,
								   const char *to_status);

/*
 * Add JSON object members (text such as "\"carrier\": \"UPS\"") to the event
 * of the next status change of machine's row entity_id in this
 * transaction, so the one event of a step carries what a consumer needs.
 */
extern void oms_status_event_members(const char *machine, int64 entity_id,
									 const char *members);
/* Forget them (a rolled-back subtransaction must not leave them behind). */
extern void oms_status_event_members_reset(void);

#endif							/* OMS_TRANSITIONS_H */
