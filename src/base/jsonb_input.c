/*-------------------------------------------------------------------------
 *
 * jsonb_input.c
 *	  jsonb helpers on the ground floor: the order/cart line list
 *	  ([{"sku": ..., "qty": n, "unit_price": "9.99"}]) and option lookups.
 *
 * Every error names the offending element and value and uses 22023, or
 * 22003 for a value out of range.  Nothing the caller sent is changed or
 * dropped in silence: an object with a key its reader does not know is
 * refused (oms_check_keys), and so is an amount the money columns would
 * round (oms_check_money).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "base/jsonb_input.h"
#include "base/oms.h"

static const char *const keys_plain[] = {"sku", "qty", NULL};
static const char *const keys_priced[] = {"sku", "qty", "unit_price", NULL};

static bool json_get(JsonbContainer *c, const char *key, JsonbValue *out);
static char *json_value_text(JsonbValue *v);
static bool parse_amount(const char *s, Datum *result);
static int	parse_lines(Jsonb *lines, const char *argname, bool with_price, bool allow_zero,
						OmsLineInput **out);

/* Look up key in an object container; false when absent or JSON null. */
static bool
json_get(JsonbContainer *c, const char *key, JsonbValue *out)
{
	JsonbValue	k;
	JsonbValue *v;

	if (c == NULL || !JsonContainerIsObject(c))
		return false;
	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	v = findJsonbValueFromContainer(c, JB_FOBJECT, &k);
	if (v == NULL || v->type == jbvNull)
		return false;
	*out = *v;
	return true;
}

/* The value of key in the object obj; false when absent or JSON null. */
bool
oms_object_value(Jsonb *obj, const char *key, JsonbValue *out)
{
	return obj != NULL && json_get(&obj->root, key, out);
}

/* A long value cut for an error message: its start and its length. */
char *
oms_short_text(char *text)
{
	size_t		len = strlen(text);

	if (len <= 40)
		return text;
	return psprintf("%.20s... (%zu characters)", text, len);
}

/* A scalar as text, for error messages and string options. */
static char *
json_value_text(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvString:
			return psprintf("\"%s\"", oms_short_text(pnstrdup(v->val.string.val, v->val.string.len)));
		case jbvNumeric:
			return oms_short_text(DatumGetCString(DirectFunctionCall1(numeric_out,
															   NumericGetDatum(v->val.numeric))));
		case jbvBool:
			return pstrdup(v->val.boolean ? "true" : "false");
		case jbvNull:
			return pstrdup("null");
		default:
			return pstrdup("(object or array)");
	}
}

/*
 * Refuse a key of the object c that is not in allowed (NULL-terminated):
 * a typo such as "idempotency-key" must not silently drop what the caller
 * meant.  what names the object in the message ("options", "lines[2]").
 */
void
oms_check_keys(JsonbContainer *c, const char *what, const char *const *allowed)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	if (c == NULL || !JsonContainerIsObject(c))
		return;
	it = JsonbIteratorInit(c);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		const char *const *k;
		char	   *key;
		StringInfoData known;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		for (k = allowed; *k; k++)
			if (strcmp(*k, key) == 0)
				break;
		if (*k)
			continue;
		initStringInfo(&known);
		for (k = allowed; *k; k++)
			appendStringInfo(&known, "%s%s", k == allowed ? "" : ", ", *k);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown key %s in %s", oms_json_quote(key), what),
				 errdetail("Known keys: %s.", known.data)));
	}
}

/* oms_check_keys on a whole jsonb value (an object; anything else is left alone). */
void
oms_check_object_keys(Jsonb *obj, const char *what, const char *const *allowed)
{
	if (obj != NULL && JB_ROOT_IS_OBJECT(obj))
		oms_check_keys(&obj->root, what, allowed);
}

/* An options argument: NULL, or an object with only the allowed keys. */
void
oms_check_options(Jsonb *options, const char *argname, const char *const *allowed)
{
	if (options == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a JSON object", argname)));
	oms_check_keys(&options->root, argname, allowed);
}

/*
 * A jsonb number (or numeric string) that must be a whole number > 0.
 * what names it in errors, such as "lines[2].qty".
 */
int64
oms_json_positive_int(JsonbValue *v, const char *what)
{
	Numeric		n;
	Datum		truncated;
	int64		result;

	if (v->type == jbvNumeric)
		n = v->val.numeric;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a positive whole number, got %s", what, json_value_text(v))));

	truncated = DirectFunctionCall2(numeric_trunc, NumericGetDatum(n), Int32GetDatum(0));
	if (!DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(n), truncated)) ||
		numeric_is_nan(n) || numeric_is_inf(n))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a positive whole number, got %s", what, json_value_text(v))));
	if (DatumGetBool(DirectFunctionCall2(numeric_gt, NumericGetDatum(n),
										 NumericGetDatum(int64_to_numeric(PG_INT64_MAX)))))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s %s is out of range", what, json_value_text(v)),
				 errdetail("Quantities are bigint: at most " INT64_FORMAT ".", PG_INT64_MAX)));
	if (DatumGetBool(DirectFunctionCall2(numeric_le, NumericGetDatum(n),
										 NumericGetDatum(int64_to_numeric(0)))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a positive whole number, got %s", what, json_value_text(v))));
	result = DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(n)));
	if (result <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a positive whole number, got " INT64_FORMAT, what, result)));
	return result;
}

/* A money amount >= 0 given as a JSON number or a numeric string. */
Numeric
oms_json_money(JsonbValue *v, const char *what)
{
	Numeric		n;

	if (v->type == jbvNumeric)
		n = v->val.numeric;
	else if (v->type == jbvString)
	{
		char	   *s = pnstrdup(v->val.string.val, v->val.string.len);
		Datum		d;
		bool		ok;

		/* numeric_in raises its own 22P02; we want ours naming the field */
		ok = parse_amount(s, &d);
		if (!ok)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must be an amount, got \"%s\"", what, oms_short_text(s))));
		n = DatumGetNumeric(d);
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be an amount, got %s", what, json_value_text(v))));

	if (numeric_is_nan(n) || numeric_is_inf(n) ||
		DatumGetBool(DirectFunctionCall2(numeric_lt, NumericGetDatum(n),
										 DirectFunctionCall1(int4_numeric, Int32GetDatum(0)))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be zero or more, got %s", what, json_value_text(v))));
	oms_check_money(n, what);
	return n;
}

/*
 * An amount >= 0 must fit the money columns, numeric(14,2), as given: more
 * than two decimals would be rounded by the column (refused, as payments
 * refuse them), and 1e12 or more would fail with a raw overflow.
 */
void
oms_check_money(Numeric n, const char *what)
{
	Datum		rounded;
	char	   *text = oms_short_text(DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(n))));

	if (DatumGetBool(DirectFunctionCall2(numeric_ge, NumericGetDatum(n),
										 NumericGetDatum(int64_to_numeric(OMS_MONEY_LIMIT)))))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s %s is out of range", what, text),
				 errdetail("Amounts are numeric(14,2): at most 999999999999.99.")));
	rounded = DirectFunctionCall2(numeric_round, NumericGetDatum(n), Int32GetDatum(2));
	if (!DatumGetBool(DirectFunctionCall2(numeric_eq, rounded, NumericGetDatum(n))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must have at most two decimal places, got %s", what, text)));
}

/*
 * Parse a numeric from text without throwing: PostgreSQL 15 has no soft
 * input errors, so accept only what numeric_in accepts, checked by a
 * strict pattern first (digits, one optional point).
 */
static bool
parse_amount(const char *s, Datum *result)
{
	const char *p = s;
	bool		digits = false;
	bool		point = false;

	if (*p == '-' || *p == '+')
		p++;
	for (; *p; p++)
	{
		if (*p >= '0' && *p <= '9')
			digits = true;
		else if (*p == '.' && !point)
			point = true;
		else
			return false;
	}
	if (!digits)
		return false;
	*result = DirectFunctionCall3(numeric_in, CStringGetDatum(s),
								  ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	return true;
}

/* A line list holds at most OMS_MAX_LINES lines (README, Bounds). */
void
oms_check_line_count(int n, const char *argname)
{
	if (n > OMS_MAX_LINES)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s holds %d lines, more than the %d a call accepts", argname, n, OMS_MAX_LINES),
				 errhint("Split the work over several calls.")));
}

/*
 * Parse a line list.  Returns the number of lines; *out is palloc'd in the
 * current context.  with_price: unit_price is read (default 0).
 */
static int
parse_lines(Jsonb *lines, const char *argname, bool with_price, bool allow_zero,
			OmsLineInput **out)
{
	int			n;
	int			i;
	OmsLineInput *result;

	if (lines == NULL || !JB_ROOT_IS_ARRAY(lines) || JB_ROOT_IS_SCALAR(lines))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a JSON array of lines", argname),
				 errhint("For example [{\"sku\": \"TEE-M\", \"qty\": 2, \"unit_price\": \"19.90\"}].")));
	n = JB_ROOT_COUNT(lines);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must hold at least one line", argname)));
	oms_check_line_count(n, argname);

	result = palloc0(sizeof(OmsLineInput) * n);
	for (i = 0; i < n; i++)
	{
		JsonbValue *elem = getIthJsonbValueFromContainer(&lines->root, i);
		JsonbContainer *obj;
		JsonbValue	v;
		char	   *what;

		CHECK_FOR_INTERRUPTS();
		if (elem == NULL || elem->type != jbvBinary || !JsonContainerIsObject(elem->val.binary.data))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s[%d] must be an object with sku and qty", argname, i)));
		obj = elem->val.binary.data;
		oms_check_keys(obj, psprintf("%s[%d]", argname, i), with_price ? keys_priced : keys_plain);

		if (!json_get(obj, "sku", &v) || v.type != jbvString || v.val.string.len == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s[%d].sku must be a non-empty string", argname, i)));
		result[i].sku = pnstrdup(v.val.string.val, v.val.string.len);

		what = psprintf("%s[%d].qty", argname, i);
		if (!json_get(obj, "qty", &v))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s is missing", what)));
		if (allow_zero && v.type == jbvNumeric &&
			DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(v.val.numeric),
											 NumericGetDatum(int64_to_numeric(0)))))
			result[i].qty = 0;
		else
			result[i].qty = oms_json_positive_int(&v, what);

		result[i].unit_price = NULL;
		if (with_price && json_get(obj, "unit_price", &v))
			result[i].unit_price = oms_json_money(&v, psprintf("%s[%d].unit_price", argname, i));
	}
	*out = result;
	return n;
}

int
oms_parse_lines(Jsonb *lines, const char *argname, bool with_price, OmsLineInput **out)
{
	return parse_lines(lines, argname, with_price, false, out);
}

/* Like oms_parse_lines, with prices, where qty 0 is allowed (edit_order). */
int
oms_parse_changes(Jsonb *changes, OmsLineInput **out)
{
	return parse_lines(changes, "changes", true, true, out);
}

/* A C string as a quoted JSON string. */
char *
oms_json_quote(const char *s)
{
	StringInfoData buf;

	if (s == NULL)
		return pstrdup("null");
	initStringInfo(&buf);
	escape_json(&buf, s);
	return buf.data;
}

/* A string option, or NULL when absent. */
char *
oms_option_text(Jsonb *options, const char *key)
{
	JsonbValue	v;

	if (options == NULL || !json_get(&options->root, key, &v))
		return NULL;
	if (v.type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be a string, got %s", key, json_value_text(&v))));
	return oms_check_text_length(pnstrdup(v.val.string.val, v.val.string.len), key);
}

/* A boolean option, or dflt when absent. */
bool
oms_option_bool(Jsonb *options, const char *key, bool dflt)
{
	JsonbValue	v;

	if (options == NULL || !json_get(&options->root, key, &v))
		return dflt;
	if (v.type != jbvBool)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be true or false, got %s", key, json_value_text(&v))));
	return v.val.boolean;
}

/* A money option (number or numeric string >= 0), or NULL when absent. */
Numeric
oms_option_money(Jsonb *options, const char *key)
{
	JsonbValue	v;

	if (options == NULL || !json_get(&options->root, key, &v))
		return NULL;
	return oms_json_money(&v, psprintf("option \"%s\"", key));
}

/* An object option as jsonb, or NULL when absent. */
Jsonb *
oms_option_object(Jsonb *options, const char *key)
{
	JsonbValue	v;

	if (options == NULL || !json_get(&options->root, key, &v))
		return NULL;
	if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be a JSON object", key)));
	return JsonbValueToJsonb(&v);
}

/* An array option as jsonb, or NULL when absent. */
Jsonb *
oms_option_array(Jsonb *options, const char *key)
{
	JsonbValue	v;

	if (options == NULL || !json_get(&options->root, key, &v))
		return NULL;
	if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be a JSON array", key)));
	return JsonbValueToJsonb(&v);
}

/* A key of an object as text (strings and numbers), or NULL. */
char *
oms_object_text(Jsonb *obj, const char *key)
{
	JsonbValue	v;

	if (obj == NULL || !json_get(&obj->root, key, &v))
		return NULL;
	if (v.type == jbvString)
		return pnstrdup(v.val.string.val, v.val.string.len);
	if (v.type != jbvNumeric)
		return NULL;
	return json_value_text(&v);
}

/* A key of an object as a double (numbers or numeric strings); false if absent. */
bool
oms_object_double(Jsonb *obj, const char *key, double *out)
{
	JsonbValue	v;

	if (obj == NULL || !json_get(&obj->root, key, &v))
		return false;
	if (v.type == jbvNumeric)
	{
		*out = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v.val.numeric)));
		return true;
	}
	return false;
}

/*
 * The same sku twice in one order is merged into one line when the unit
 * prices agree, and refused when they differ.
 */
void
oms_merge_duplicate_lines(int *n, OmsLineInput *in)
{
	int			i;
	int			j;
	int			out = 0;

	for (i = 0; i < *n; i++)
	{
		bool		merged = false;

		for (j = 0; j < out && !merged; j++)
		{
			bool		same_price;

			if (strcmp(in[j].sku, in[i].sku) != 0)
				continue;
			if (in[i].unit_price == NULL || in[j].unit_price == NULL)
				same_price = (in[i].unit_price == NULL && in[j].unit_price == NULL);
			else
				same_price = DatumGetBool(DirectFunctionCall2(numeric_eq,
															  NumericGetDatum(in[i].unit_price),
															  NumericGetDatum(in[j].unit_price)));
			if (!same_price)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("sku \"%s\" appears twice in lines with different unit prices", in[i].sku),
						 errdetail("Lines of the same sku are merged only when their unit prices agree.")));
			in[j].qty = oms_add_qty(in[j].qty, in[i].qty, "line quantity");
			merged = true;
		}
		if (!merged)
			in[out++] = in[i];
	}
	*n = out;
}
