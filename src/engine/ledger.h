/*-------------------------------------------------------------------------
 *
 * ledger.h
 *	  The inventory ledger (ledger.c) as seen by other C files: writing a
 *	  movement under the engine guard, and the location and item names.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OMS_LEDGER_H
#define OMS_LEDGER_H

#include "postgres.h"

/*
 * Insert one ledger row under the engine guard; the ledger trigger applies
 * it to the level under its row lock.  Engine-only kinds (shipment,
 * return_restock, return_damaged, transfer legs) are written only this way.
 * reason, reference may be NULL; transfer_id 0 for none; counted non-NULL
 * only for kind count (in: units counted, out: the delta).  Returns the
 * movement id.  Caller must be connected to SPI.
 */
extern int64 oms_insert_movement(int64 item_id, int64 location_id, const char *kind,
								 int64 on_hand_delta, int64 damaged_delta,
								 const char *reason, const char *reference,
								 int64 transfer_id, int64 *counted);
/* The same, naming the serials that move (a text[] datum; 0 for none). */
extern int64 oms_insert_movement_serials(int64 item_id, int64 location_id, const char *kind,
										 int64 on_hand_delta, int64 damaged_delta,
										 const char *reason, const char *reference,
										 int64 transfer_id, int64 *counted, Datum serials);

/*
 * Lock the level row of (item, location), creating it when missing; lock
 * several in the global order (item, then location_id).
 */
extern void oms_lock_level(int64 item_id, int64 location_id);

/* A location's id by code; OM003 names an unknown one. */
extern int64 oms_location_id(const char *code);

/* Name lookups used in error messages. */
extern char *oms_item_sku(int64 item_id);
extern char *oms_location_code(int64 location_id);

#endif							/* OMS_LEDGER_H */
