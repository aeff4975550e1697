/*-------------------------------------------------------------------------
 *
 * notifications.c
 *	  oms.render_template(template, vars): the placeholder substitution of
 *	  customer notifications.  The rest of the feature (tables, the trigger
 *	  on the outbox that renders events, the worker's claim and marks) is
 *	  SQL in src/sql/97_notifications.sql; this runs twice for every order
 *	  placed, so it is C: one pass over the template, one lookup in the
 *	  jsonb object per placeholder.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

static void append_value(StringInfo out, JsonbValue *v);

/* A JSON null is nothing; a string its text; anything else its JSON text. */
static void
append_value(StringInfo out, JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			break;
		case jbvString:
			appendBinaryStringInfo(out, v->val.string.val, v->val.string.len);
			break;
		case jbvNumeric:
			appendStringInfoString(out, DatumGetCString(DirectFunctionCall1(numeric_out,
																			 NumericGetDatum(v->val.numeric))));
			break;
		case jbvBool:
			appendStringInfoString(out, v->val.boolean ? "true" : "false");
			break;
		case jbvBinary:
			(void) JsonbToCString(out, v->val.binary.data, v->val.binary.len);
			break;
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) v->type);
	}
}

PG_FUNCTION_INFO_V1(oms_render_template);

/*
 * oms.render_template(template text, vars jsonb): STRICT.  Each {name}
 * (name of a-z and _) that vars has is replaced by its value; a name vars
 * lacks, and every other brace, is copied as it is.  One pass: a value is
 * never scanned for placeholders.  vars other than an object replaces
 * nothing.
 */
Datum
oms_render_template(PG_FUNCTION_ARGS)
{
	text	   *tpl = PG_GETARG_TEXT_PP(0);
	Jsonb	   *vars = PG_GETARG_JSONB_P(1);
	const char *p = VARDATA_ANY(tpl);
	const char *end = p + VARSIZE_ANY_EXHDR(tpl);
	bool		object = JB_ROOT_IS_OBJECT(vars) && !JB_ROOT_IS_SCALAR(vars);
	StringInfoData out;

	initStringInfo(&out);
	while (p < end)
	{
		const char *brace = memchr(p, '{', end - p);
		const char *q;

		CHECK_FOR_INTERRUPTS();
		if (brace == NULL)
		{
			appendBinaryStringInfo(&out, p, end - p);
			break;
		}
		appendBinaryStringInfo(&out, p, brace - p);
		q = brace + 1;
		while (q < end && ((*q >= 'a' && *q <= 'z') || *q == '_'))
			q++;
		if (object && q < end && *q == '}' && q > brace + 1)
		{
			JsonbValue	key;
			JsonbValue *v;

			key.type = jbvString;
			key.val.string.val = (char *) (brace + 1);
			key.val.string.len = q - brace - 1;
			v = findJsonbValueFromContainer(&vars->root, JB_FOBJECT, &key);
			if (v != NULL)
			{
				append_value(&out, v);
				p = q + 1;
				continue;
			}
		}
		appendStringInfoChar(&out, '{');
		p = brace + 1;
	}
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}
