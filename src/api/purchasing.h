/*-------------------------------------------------------------------------
 *
 * purchasing.h
 *	  Purchase orders (purchasing.c): the setting it owns (module
 *	  init, oms.c, defines it).
 *
 *-------------------------------------------------------------------------
 */
#ifndef OMS_PURCHASING_H
#define OMS_PURCHASING_H

#include "postgres.h"

/* oms.over_receipt_tolerance, in percent of the quantity ordered */
extern double oms_over_receipt_tolerance;


#endif							/* OMS_PURCHASING_H */
