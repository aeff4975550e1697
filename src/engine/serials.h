/*-------------------------------------------------------------------------
 *
 * serials.h
 *	  Serial numbers of serialized items (serials.c): the list a caller
 *	  names, the serials a shipment holds, and the return fraud guard.
 *
 * Every serial moves with a ledger row: a movement of a serialized item
 * names its serials (inventory_movement.serials) and the ledger trigger
 * oms.serials_apply() moves exactly those, so the serials in stock at a
 * location are the level's on_hand and the damaged ones its damaged.
 * Serial rows are locked after the levels (allocation.h protocol), in
 * serial order.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OMS_SERIALS_H
#define OMS_SERIALS_H

#include "postgres.h"

#include "utils/array.h"
#include "utils/jsonb.h"

/* A list of serials as named by a caller, checked and sorted. */
typedef struct OmsSerials
{
	int			n;
	char	  **v;
} OmsSerials;

/* From a text[] (22023 for NULL elements, bad or duplicate serials). */
extern OmsSerials *oms_serials_from_array(ArrayType *a, const char *what);
/* From a jsonb array of strings (NULL jsonb: NULL). */
extern OmsSerials *oms_serials_from_jsonb(Jsonb *j, const char *what);
/* a and b in one list (22023 for a serial in both). */
extern OmsSerials *oms_serials_merge(const OmsSerials *a, const OmsSerials *b, const char *what);
/* Elements first .. first + n - 1 as a text[] datum. */
extern Datum oms_serials_datum(const OmsSerials *s, int first, int n);

/*
 * The serials of item_id that a shipment holds, as a text[] datum: status
 * "in_stock" (assigned to it, before it ships) or "shipped" (in it).  OM013
 * unless there are exactly qty.  Caller holds the shipment row and the
 * levels and is connected to SPI.
 */
extern Datum oms_serials_of_shipment(int64 shipment_id, const char *shipment_number,
									 int64 item_id, const char *status, int64 qty);

/*
 * The return fraud guard: every serial must be of item_id, shipped on the
 * order and not returned since, and not in a lost shipment that was
 * neither re-shipped nor written off (OM013 naming the serial).  Caller
 * holds the order row and is connected to SPI.
 */
extern void oms_serials_check_return(int64 order_id, const char *order_number,
									 int64 item_id, const char *sku, const OmsSerials *s);

/*
 * Make s the serials of item_id assigned to an open shipment shipping from
 * location_id: each in stock there and not assigned to another open
 * shipment (OM013); serials assigned before and not in s are released.
 * Returns how many were newly assigned.  Caller holds the order and the
 * shipment row and is connected to SPI.
 */
extern int	oms_serials_assign(int64 shipment_id, const char *shipment_number, int64 location_id,
							   int64 item_id, const char *sku, const OmsSerials *s);

#endif							/* OMS_SERIALS_H */
