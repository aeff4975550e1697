/*-------------------------------------------------------------------------
 *
 * purchasing.h
 *	  Purchase orders (purchasing.c): the settings module init defines.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OMS_PURCHASING_H
#define OMS_PURCHASING_H

#include "postgres.h"

/* oms.over_receipt_tolerance, in percent of the quantity ordered */
extern double oms_over_receipt_tolerance;

extern void oms_purchasing_define_gucs(void);

#endif							/* OMS_PURCHASING_H */
