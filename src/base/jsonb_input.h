/*-------------------------------------------------------------------------
 *
 * jsonb_input.h
 *	  jsonb line lists and options (jsonb_input.c), on the ground floor.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OMS_LINES_H
#define OMS_LINES_H

#include "postgres.h"

#include "utils/jsonb.h"
#include "utils/numeric.h"

typedef struct OmsLineInput
{
	char	   *sku;
	int64		qty;
	Numeric		unit_price;		/* NULL when not given */
} OmsLineInput;

extern int	oms_parse_lines(Jsonb *lines, const char *argname, bool with_price,
							OmsLineInput **out);
/*
 * The same sku twice in one list is merged into one line when the unit
 * prices agree, and refused (22023) when they differ.
 */
extern void oms_merge_duplicate_lines(int *n, OmsLineInput *in);
extern int	oms_parse_changes(Jsonb *changes, OmsLineInput **out);
/*
 * Lines per call in every line list (orders, edits, cancels, holds,
 * shipments, returns, exchanges, purchase orders and receipts): the work of
 * a call grows with its lines, faster than linearly on the order path, so
 * one argument could otherwise hold a backend for minutes.
 */
#define OMS_MAX_LINES 1000
extern void oms_check_line_count(int n, const char *argname);
/* Money columns are numeric(14,2): amounts and totals stay below this. */
#define OMS_MONEY_LIMIT INT64CONST(1000000000000)

extern void oms_check_keys(JsonbContainer *c, const char *what, const char *const *allowed);
extern void oms_check_object_keys(Jsonb *obj, const char *what, const char *const *allowed);
extern void oms_check_options(Jsonb *options, const char *argname, const char *const *allowed);
extern void oms_check_money(Numeric n, const char *what);
extern char *oms_json_quote(const char *s);
extern char *oms_short_text(char *text);
extern int64 oms_json_positive_int(JsonbValue *v, const char *what);
extern Numeric oms_json_money(JsonbValue *v, const char *what);
extern char *oms_option_text(Jsonb *options, const char *key);
extern bool oms_option_bool(Jsonb *options, const char *key, bool dflt);
extern Numeric oms_option_money(Jsonb *options, const char *key);
extern Jsonb *oms_option_object(Jsonb *options, const char *key);
extern Jsonb *oms_option_array(Jsonb *options, const char *key);
extern bool oms_object_value(Jsonb *obj, const char *key, JsonbValue *out);
extern char *oms_object_text(Jsonb *obj, const char *key);
extern bool oms_object_double(Jsonb *obj, const char *key, double *out);

#endif							/* OMS_LINES_H */
