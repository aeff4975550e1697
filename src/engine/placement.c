/*-------------------------------------------------------------------------
 *
 * placement.c
 *	  Placing an order: the engine behind oms.place_order() (capture,
 *	  idempotency, cart-hold take-over, allocation and reservation in one
 *	  call), also the way an exchange places its replacement order.
 *
 * Lock order: the idempotency key, the cart hold, every stock level of the
 * items involved (item, then location: allocation.c), the order row, and
 * only then order lines and reservations.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/formatting.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "base/jsonb_input.h"
#include "base/oms.h"
#include "engine/allocation.h"
#include "engine/events.h"
#include "engine/idempotency.h"
#include "engine/ledger.h"
#include "engine/order.h"
#include "engine/placement.h"
#include "engine/transitions.h"

static void validate_ship_to(Jsonb *ship_to, OmsShipTo *to);
static void check_choice(const char *value, const char *what, const char *const *allowed);
static char *place_order_request(const char *customer, const char *channel,
								 Jsonb *lines, Jsonb *options);

static const char *const service_levels[] = {"ground", "air", "express", "same_day", NULL};
static const char *const payment_requirements[] = {"none", "authorized", "captured", NULL};
static const char *const ship_to_required[] = {"name", "line1", "city", "postal_code", "country", NULL};
static const char *const ship_to_keys[] = {
	"name", "company", "line1", "line2", "line3", "city", "region", "postal_code", "country",
	"phone", "latitude", "longitude", NULL
};
static const char *const ship_to_text_keys[] = {
	"name", "company", "line1", "line2", "line3", "city", "region", "postal_code", "country",
	"phone", NULL
};
static const char *const place_order_keys[] = {
	"idempotency_key", "channel_order_ref", "ship_to", "service_level", "currency", "tax",
	"shipping", "strategy", "allow_split", "hold", "payment_required", "confirm",
	"customer_name", "promised_at", "discount", NULL
};

static OmsPlan plan_order_number = {
	"SELECT order_number FROM oms.sales_order WHERE order_id = $1",
	1, {INT8OID}
};
static OmsPlan plan_channel = {
	"SELECT channel_id, active FROM oms.channel WHERE code = $1",
	1, {TEXTOID}
};
static OmsPlan plan_customer_insert = {
	"INSERT INTO oms.customer (email, name) VALUES ($1, $2)"
	" ON CONFLICT ((pg_catalog.lower(email))) DO NOTHING RETURNING customer_id",
	2, {TEXTOID, TEXTOID}
};
static OmsPlan plan_customer_find = {
	"SELECT customer_id FROM oms.customer WHERE pg_catalog.lower(email) = pg_catalog.lower($1)",
	1, {TEXTOID}
};
static OmsPlan plan_hold_find = {
	"SELECT hold_id, state, expires_at > pg_catalog.now() FROM oms.cart_hold WHERE hold_ref = $1 FOR UPDATE",
	1, {TEXTOID}
};
static OmsPlan plan_hold_convert = {
	"UPDATE oms.cart_hold SET state = 'converted', order_id = $2 WHERE hold_id = $1",
	2, {INT8OID, INT8OID}
};
static OmsPlan plan_order_insert = {
	"INSERT INTO oms.sales_order (channel_id, channel_order_ref, customer_id, payment_required,"
	" ship_to, service_level, currency, subtotal, tax, shipping, allocation_strategy, promised_at,"
	" discount)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
	" ON CONFLICT (channel_id, channel_order_ref) DO NOTHING RETURNING order_id, order_number",
	13, {INT8OID, TEXTOID, INT8OID, TEXTOID, JSONBOID, TEXTOID, TEXTOID, NUMERICOID,
	NUMERICOID, NUMERICOID, TEXTOID, TIMESTAMPTZOID, NUMERICOID}
};
static OmsPlan plan_order_by_ref = {
	"SELECT order_id FROM oms.sales_order WHERE channel_id = $1 AND channel_order_ref = $2",
	2, {INT8OID, TEXTOID}
};
static OmsPlan plan_order_type = {
	"UPDATE oms.sales_order SET order_type = $2 WHERE order_id = $1",
	2, {INT8OID, TEXTOID}
};

/*
 * The request an idempotency key of place_order stands for: customer,
 * channel, lines and the options other than the key itself, joined by the
 * unit separator (chr(31)).
 */
static char *
place_order_request(const char *customer, const char *channel, Jsonb *lines, Jsonb *options)
{
	Datum		rest;

	rest = DirectFunctionCall2(jsonb_delete,
							   options ? JsonbPGetDatum(options) : DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")),
							   CStringGetTextDatum("idempotency_key"));
	return psprintf("%s\x1f%s\x1f%s\x1f%s", customer, channel,
					DatumGetCString(DirectFunctionCall1(jsonb_out, JsonbPGetDatum(lines))),
					DatumGetCString(DirectFunctionCall1(jsonb_out, rest)));
}

static void
check_choice(const char *value, const char *what, const char *const *allowed)
{
	const char *const *a;
	StringInfoData buf;

	for (a = allowed; *a; a++)
		if (strcmp(*a, value) == 0)
			return;
	initStringInfo(&buf);
	for (a = allowed; *a; a++)
		appendStringInfo(&buf, "%s%s", a == allowed ? "" : ", ", *a);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s must be one of %s, got \"%s\"", what, buf.data, value)));
}

/* A ship-to coordinate: absent, or a JSON number in [-limit, limit]. */
static bool
ship_to_coordinate(Jsonb *ship_to, const char *key, double limit, double *out)
{
	char	   *text = oms_object_text(ship_to, key);
	JsonbValue	v;

	if (text)
		text = oms_short_text(text);

	if (!oms_object_value(ship_to, key, &v))
		return false;
	if (v.type != jbvNumeric || numeric_is_nan(v.val.numeric) || numeric_is_inf(v.val.numeric) ||
		DatumGetBool(DirectFunctionCall2(numeric_gt,
										 DirectFunctionCall1(numeric_abs, NumericGetDatum(v.val.numeric)),
										 DirectFunctionCall1(float8_numeric, Float8GetDatum(limit)))) ||
		!oms_object_double(ship_to, key, out))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ship_to %s must be a number between %g and %g, got %s", key, -limit, limit,
						v.type == jbvString ? oms_json_quote(text) :
						text ? text : v.type == jbvBool ? (v.val.boolean ? "true" : "false") :
						"an object or array")));
	return true;
}

static void
validate_ship_to(Jsonb *ship_to, OmsShipTo *to)
{
	const char *const *k;
	char	   *country;
	bool		has_lat;
	bool		has_lon;

	memset(to, 0, sizeof(OmsShipTo));
	if (ship_to == NULL)
		return;
	oms_check_object_keys(ship_to, "ship_to", ship_to_keys);
	for (k = ship_to_text_keys; *k; k++)
	{
		JsonbValue	v;

		if (oms_object_value(ship_to, *k, &v) && v.type != jbvString &&
			!(v.type == jbvNumeric && strcmp(*k, "postal_code") == 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("ship_to \"%s\" must be a string", *k)));
	}
	for (k = ship_to_required; *k; k++)
	{
		char	   *v = oms_object_text(ship_to, *k);

		if (v == NULL || v[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("ship_to is missing \"%s\"", *k),
					 errdetail("A ship-to address needs name, line1, city, postal_code and country.")));
	}
	country = oms_object_text(ship_to, "country");
	if (strlen(country) != 2 || country[0] < 'A' || country[0] > 'Z' ||
		country[1] < 'A' || country[1] > 'Z')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ship_to country must be an ISO 3166-1 alpha-2 code such as \"US\", got \"%s\"", country)));
	to->region = oms_object_text(ship_to, "region");
	has_lat = ship_to_coordinate(ship_to, "latitude", 90, &to->lat);
	has_lon = ship_to_coordinate(ship_to, "longitude", 180, &to->lon);
	if (has_lat != has_lon)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ship_to has %s without %s", has_lat ? "latitude" : "longitude",
						has_lat ? "longitude" : "latitude"),
				 errdetail("Give both coordinates or neither.")));
	to->has_coords = has_lat && has_lon;
}

/* ----------------------------------------------------------------
 * place_order
 *
 * A coordinator of named steps.  parse_place_request checks every argument
 * before any table is touched.  Then, connected to SPI: the idempotency
 * key, the channel, the skus, the customer, the cart hold, every level of
 * every item (locked in one statement), the order row, the hold's units,
 * the allocation of the rest, the lines and their reservations (a
 * statement each), the levels (one statement) and the finish: order type,
 * events, confirmation and the key's result.
 * ----------------------------------------------------------------
 */

/* What a place_order call asks for, parsed and checked. */
typedef struct PlaceRequest
{
	char	   *customer;		/* the email address, in lower case */
	char	   *channel;
	Jsonb	   *lines_json;
	Jsonb	   *options;
	OmsLineInput *in;			/* the lines, the same sku merged */
	int			nin;
	char	   *idem_key;
	char	   *channel_ref;
	char	   *service_level;
	char	   *currency;
	char	   *payment_required;
	OmsStrategy strategy;
	bool		allow_split;
	bool		confirm;
	char	   *hold_ref;
	char	   *customer_name;
	char	   *promised_text;
	bool		has_promised_at;
	TimestampTz promised_at;
	Jsonb	   *ship_to_json;
	OmsShipTo	ship_to;
	Numeric		subtotal;
	Numeric		tax;
	Numeric		shipping;
	Numeric		discount;		/* NULL for none */
} PlaceRequest;

/* What placing has found, locked and decided so far. */
typedef struct Placement
{
	int64		channel_id;
	int64		customer_id;
	OmsResolved *res;			/* one per request line */
	OmsDemand  *d;				/* one per stocked item */
	int			nd;
	int64		hold_id;		/* 0 for none */
	OmsLevels	ls;
	OmsAlloc   *alloc;			/* the hold's units first, then the allocated */
	int			nalloc;
	int64		order_id;
	char	   *order_number;
	int64		backordered_units;
	bool		any_preorder;
} Placement;

/*
 * The order lines to write, in line order: each request line, a bundle's
 * components right after it; and the reservations, the allocations handed
 * out to the stocked lines.
 */
typedef struct PlannedLines
{
	int			n;
	int64	   *no;
	int64	   *item;
	Datum	   *kind;
	int64	   *parent_no;		/* 0 for none */
	int64	   *qty;
	int64	   *reserved;
	int64	   *backordered;
	Numeric    *price;
	int64	   *line_id;		/* once written */
	int			nrsv;
	OmsAlloc   *rsv;
	int			rsv_cap;
	int		   *rsv_line;		/* index into the lines */
} PlannedLines;

static char *
checked_customer_email(char *customer)
{
	char	   *at = strchr(customer, '@');

	if (at == NULL || at != strrchr(customer, '@') ||
		customer[0] == '@' || customer[strlen(customer) - 1] == '@' ||
		strpbrk(customer, " \t\n\r\v\f") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("customer must be an email address, got \"%s\"", customer)));
	/* one customer per address whatever its case; retries in another case are the same call */
	return str_tolower(customer, strlen(customer), DEFAULT_COLLATION_OID);
}

/* A text option that, when given, must not be empty. */
static char *
nonempty_option(Jsonb *options, const char *key, const char *hint)
{
	char	   *v = oms_option_text(options, key);

	if (v != NULL && v[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must not be empty", key),
				 errhint("%s", hint)));
	return v;
}

/* A text option with a default that must be one of allowed. */
static char *
option_choice(Jsonb *options, const char *key, char *dflt, const char *const *allowed)
{
	char	   *v = oms_option_text(options, key);

	if (v == NULL)
		v = dflt;
	check_choice(v, key, allowed);
	return v;
}

static void
parse_place_options(PlaceRequest *req)
{
	Jsonb	   *o = req->options;
	char	   *strategy;

	req->idem_key = nonempty_option(o, "idempotency_key", "Leave the key out for a call without one.");
	req->channel_ref = nonempty_option(o, "channel_order_ref",
									   "Leave the reference out for an order without one.");
	req->service_level = option_choice(o, "service_level", "ground", service_levels);
	req->currency = oms_option_text(o, "currency");
	if (req->currency == NULL)
		req->currency = "USD";
	if (strlen(req->currency) != 3 || !isupper((unsigned char) req->currency[0]) ||
		!isupper((unsigned char) req->currency[1]) || !isupper((unsigned char) req->currency[2]))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("currency must be an ISO 4217 code such as \"USD\", got \"%s\"", req->currency)));
	req->payment_required = option_choice(o, "payment_required", "none", payment_requirements);
	strategy = oms_option_text(o, "strategy");
	req->strategy = strategy ? oms_parse_strategy(strategy) : (OmsStrategy) oms_allocation_strategy;
	req->allow_split = oms_option_bool(o, "allow_split", oms_allow_split);
	req->confirm = oms_option_bool(o, "confirm", false);
	req->hold_ref = oms_option_text(o, "hold");
	req->customer_name = oms_option_text(o, "customer_name");
	req->promised_text = oms_option_text(o, "promised_at");
	req->ship_to_json = oms_option_object(o, "ship_to");
	validate_ship_to(req->ship_to_json, &req->ship_to);
	req->tax = oms_option_money(o, "tax");
	req->shipping = oms_option_money(o, "shipping");
	req->discount = oms_option_money(o, "discount");
}

/* The sum of unit price times quantity over the lines that have a price. */
static Numeric
lines_subtotal(int n, const OmsLineInput *in)
{
	Numeric		subtotal = int64_to_numeric(0);
	int			i;

	for (i = 0; i < n; i++)
	{
		Datum		line_total;

		if (in[i].unit_price == NULL)
			continue;
		line_total = DirectFunctionCall2(numeric_mul, NumericGetDatum(in[i].unit_price),
										 NumericGetDatum(int64_to_numeric(in[i].qty)));
		subtotal = DatumGetNumeric(DirectFunctionCall2(numeric_add, NumericGetDatum(subtotal),
													   line_total));
	}
	return subtotal;
}

/*
 * promised_at is parsed as timestamptz_in does, but a bad one is answered
 * with 22023 naming the option instead of the type's own 22007.
 */
static void
parse_promised_at(PlaceRequest *req)
{
	char		workbuf[MAXDATELEN + MAXDATEFIELDS];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	int			nf;
	int			dtype = DTK_DATE;
	int			tz;
	struct pg_tm tt;
	fsec_t		fsec;
	int			dterr;

	if (req->promised_text == NULL)
		return;
	dterr = ParseDateTime(req->promised_text, workbuf, sizeof(workbuf), field, ftype,
						  MAXDATEFIELDS, &nf);
	if (dterr == 0)
		dterr = DecodeDateTime(field, ftype, nf, &dtype, &tt, &fsec, &tz);
	if (dterr != 0 || dtype != DTK_DATE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"promised_at\" must be a finite timestamp, got \"%s\"",
						oms_short_text(req->promised_text))));
	req->promised_at = DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in,
															   CStringGetDatum(req->promised_text),
															   ObjectIdGetDatum(InvalidOid),
															   Int32GetDatum(-1)));
	req->has_promised_at = true;
}

/* Step: every argument, checked before any table is touched. */
static void
parse_place_request(const char *customer, const char *channel, Jsonb *lines,
					Jsonb *options, PlaceRequest *req)
{
	memset(req, 0, sizeof(PlaceRequest));
	req->channel = pstrdup(channel);
	req->lines_json = lines;
	req->options = options;
	oms_check_options(req->options, "options", place_order_keys);
	req->customer = checked_customer_email(pstrdup(customer));
	req->nin = oms_parse_lines(req->lines_json, "lines", true, &req->in);
	oms_merge_duplicate_lines(&req->nin, req->in);
	parse_place_options(req);
	req->subtotal = lines_subtotal(req->nin, req->in);
	oms_check_order_total(req->subtotal, req->tax, req->shipping, NULL);
	if (req->discount &&
		DatumGetBool(DirectFunctionCall2(numeric_gt, NumericGetDatum(req->discount),
										 NumericGetDatum(req->subtotal))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("discount %s exceeds the subtotal %s",
						DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(req->discount))),
						DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(req->subtotal)))),
				 errdetail("A discount comes off the lines' subtotal, at most all of it.")));
	parse_promised_at(req);
}

/*
 * Step: claim the idempotency key.  True when the key was used before with
 * the same arguments: *first is then the order to answer with.
 */
static bool
claim_order_key(const PlaceRequest *req, int64 *first)
{
	OmsIdemOutcome claim;
	Datum		args[1];
	char	   *first_number = NULL;

	if (req->idem_key == NULL)
		return false;
	claim = oms_idem_claim("place_order", req->idem_key,
						   place_order_request(req->customer, req->channel, req->lines_json,
											   req->options),
						   "order_id", first);
	if (claim != OMS_IDEM_CONFLICT)
		return claim == OMS_IDEM_REPLAY;
	args[0] = Int64GetDatum(*first);
	/* not read_only: the winner committed after this statement's snapshot */
	if (oms_plan_exec(&plan_order_number, args, NULL, false, 1, SPI_OK_SELECT) == 1)
		first_number = oms_spi_text(0, 1);
	ereport(ERROR,
			(errcode(ERRCODE_OMS_IDEMPOTENCY_CONFLICT),
			 errmsg("idempotency key \"%s\" was already used with different arguments", req->idem_key),
			 errdetail("The first call created order %s.", first_number ? first_number : "(none)"),
			 errhint("Use a new key for a new order.")));
	return false;				/* keep compiler quiet */
}

/* Step: the channel, which must exist and be active. */
static int64
active_channel(const char *channel)
{
	Datum		args[1] = {CStringGetTextDatum(channel)};
	bool		isnull;

	if (oms_plan_exec(&plan_channel, args, NULL, true, 1, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
				 errmsg("unknown channel \"%s\"", channel)));
	if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("channel \"%s\" is not active", channel)));
	return oms_spi_int64(0, 1, &isnull);
}

/*
 * Step: the customer of this address, created on a first order (guest
 * checkout).  Looked up first: a returning customer costs one read, not
 * an insert that conflicts.
 */
static int64
customer_of(const char *email, const char *name)
{
	Datum		args[2];
	bool		isnull;

	args[0] = CStringGetTextDatum(email);
	args[1] = name ? CStringGetTextDatum(name) : (Datum) 0;
	if (oms_plan_exec(&plan_customer_find, args, NULL, false, 1, SPI_OK_SELECT) == 0 &&
		oms_plan_exec(&plan_customer_insert, args, name ? "  " : " n", false, 0,
					  SPI_OK_INSERT_RETURNING) == 0 &&
		oms_plan_exec(&plan_customer_find, args, NULL, false, 1, SPI_OK_SELECT) == 0)
		elog(ERROR, "customer \"%s\" vanished", email);
	return oms_spi_int64(0, 1, &isnull);
}

/* Step: the cart hold to take over, locked before any level; 0 for none. */
static int64
lock_cart_hold(const char *hold_ref)
{
	Datum		args[1];
	bool		isnull;

	if (hold_ref == NULL)
		return 0;
	args[0] = CStringGetTextDatum(hold_ref);
	if (oms_plan_exec(&plan_hold_find, args, NULL, false, 1, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_UNKNOWN_REFERENCE),
				 errmsg("unknown cart hold \"%s\"", hold_ref)));
	if (strcmp(oms_spi_text(0, 2), "converted") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OMS_NOT_EDITABLE),
				 errmsg("cart hold \"%s\" was already converted into an order", hold_ref)));
	return oms_spi_int64(0, 1, &isnull);
}

/*
 * Step: lock every level of every item involved, the hold's included, in
 * one statement: the global lock order holds only if nothing is locked
 * later.
 */
static void
lock_placement_levels(Placement *p)
{
	int64	   *hold_items = NULL;
	int			nhold = p->hold_id > 0 ? oms_hold_items(p->hold_id, &hold_items) : 0;
	int64	   *items = palloc(sizeof(int64) * Max(p->nd + nhold, 1));
	int			i;

	for (i = 0; i < p->nd; i++)
		items[i] = p->d[i].item_id;
	for (i = 0; i < nhold; i++)
		items[p->nd + i] = hold_items[i];
	oms_levels_lock(p->nd + nhold, items, &p->ls);
}

/*
 * Step: the order row.  False when the channel reference was placed
 * before: p->order_id is then that order.
 */
static bool
insert_order_row(const PlaceRequest *req, Placement *p)
{
	Datum		args[13];
	char		nulls[14];
	bool		isnull;

	memset(nulls, ' ', sizeof(nulls));
	nulls[13] = '\0';
	args[0] = Int64GetDatum(p->channel_id);
	args[1] = req->channel_ref ? CStringGetTextDatum(req->channel_ref) : (Datum) 0;
	nulls[1] = req->channel_ref ? ' ' : 'n';
	args[2] = Int64GetDatum(p->customer_id);
	args[3] = CStringGetTextDatum(req->payment_required);
	args[4] = req->ship_to_json ? JsonbPGetDatum(req->ship_to_json) : (Datum) 0;
	nulls[4] = req->ship_to_json ? ' ' : 'n';
	args[5] = CStringGetTextDatum(req->service_level);
	args[6] = CStringGetTextDatum(req->currency);
	args[7] = NumericGetDatum(req->subtotal);
	args[8] = NumericGetDatum(req->tax ? req->tax : int64_to_numeric(0));
	args[9] = NumericGetDatum(req->shipping ? req->shipping : int64_to_numeric(0));
	args[10] = CStringGetTextDatum(oms_strategy_name(req->strategy));
	args[11] = TimestampTzGetDatum(req->promised_at);
	nulls[11] = req->has_promised_at ? ' ' : 'n';
	args[12] = NumericGetDatum(req->discount ? req->discount : int64_to_numeric(0));
	oms_set_reason("placed");
	if (oms_plan_exec(&plan_order_insert, args, nulls, false, 0, SPI_OK_INSERT_RETURNING) == 1)
	{
		p->order_id = oms_spi_int64(0, 1, &isnull);
		p->order_number = oms_spi_text(0, 2);
		return true;
	}
	args[1] = CStringGetTextDatum(req->channel_ref);
	if (oms_plan_exec(&plan_order_by_ref, args, NULL, false, 1, SPI_OK_SELECT) == 0)
		elog(ERROR, "order with channel reference \"%s\" vanished", req->channel_ref);
	p->order_id = oms_spi_int64(0, 1, &isnull);
	return false;
}

/* Step: take over the cart hold: its units become this order's first. */
static void
take_over_hold(Placement *p)
{
	OmsAlloc   *held;
	int			nheld = 0;
	Datum		args[2];
	int			i;
	int			j;

	p->nalloc = 0;
	if (p->hold_id == 0)
	{
		p->alloc = NULL;
		return;
	}
	/* what the hold still had after expired rows were released on lock */
	(void) oms_release_hold_rows(&p->ls, p->hold_id, "released", &held, &nheld);
	p->alloc = palloc(sizeof(OmsAlloc) * Max(nheld, 1));	/* one per held row at most */
	for (i = 0; i < nheld; i++)
	{
		for (j = 0; j < p->nd; j++)
		{
			OmsDemand  *d = &p->d[j];
			OmsLevel   *l;
			int64		take;

			if (d->item_id != held[i].item_id)
				continue;
			take = Min(held[i].qty, d->qty - d->allocated);
			if (take <= 0)
				break;
			l = oms_level_find(&p->ls, held[i].item_id, held[i].location_id);
			l->reserved = oms_add_qty(l->reserved, take, "reserved");
			l->reserved_delta = oms_add_qty(l->reserved_delta, take, "reserved");
			d->allocated += take;
			p->alloc[p->nalloc] = held[i];
			p->alloc[p->nalloc].qty = take;
			p->nalloc++;
			break;
		}
	}
	args[0] = Int64GetDatum(p->hold_id);
	args[1] = Int64GetDatum(p->order_id);
	oms_plan_exec(&plan_hold_convert, args, NULL, false, 0, SPI_OK_UPDATE);
}

/*
 * Step: allocate what the hold did not cover.  A shortfall of an item that
 * denies backorders fails the whole order; the rest is backordered.
 */
static void
allocate_rest(const PlaceRequest *req, Placement *p)
{
	OmsAlloc   *allocs;
	int			nallocs;
	OmsAlloc   *all;
	int			j;

	nallocs = oms_allocate(&p->ls, p->nd, p->d, req->strategy, req->allow_split,
						   &req->ship_to, &allocs);
	all = palloc(sizeof(OmsAlloc) * Max(p->nalloc + nallocs, 1));
	if (p->nalloc > 0)
		memcpy(all, p->alloc, sizeof(OmsAlloc) * p->nalloc);
	memcpy(all + p->nalloc, allocs, sizeof(OmsAlloc) * nallocs);
	p->alloc = all;
	p->nalloc += nallocs;

	for (j = 0; j < p->nd; j++)
	{
		OmsDemand  *d = &p->d[j];
		int64		short_by = d->qty - d->allocated;
		char		policy;

		if (short_by <= 0)
			continue;
		policy = oms_demand_policy(p->res, req->nin, d->item_id);
		if (policy == 'd')
		{
			int64		total_free = d->allocated + oms_item_free(&p->ls, d->item_id);

			ereport(ERROR,
					(errcode(ERRCODE_OMS_INSUFFICIENT_STOCK),
					 errmsg("insufficient stock of sku \"%s\": wanted " INT64_FORMAT ", available " INT64_FORMAT,
							oms_item_sku(d->item_id), d->qty, total_free),
					 total_free >= d->qty ?
					 errdetail("No single location can fill it and splitting is off.") :
					 errdetail("The item's backorder policy is deny, so the order was not placed.")));
		}
		if (policy == 'p')
			p->any_preorder = true;
		p->backordered_units = oms_add_qty(p->backordered_units, short_by, "backordered");
	}
}

static void
planned_lines_alloc(PlannedLines *pl, int cap, int nalloc)
{
	pl->n = 0;
	pl->no = palloc(sizeof(int64) * cap);
	pl->item = palloc(sizeof(int64) * cap);
	pl->kind = palloc(sizeof(Datum) * cap);
	pl->parent_no = palloc(sizeof(int64) * cap);
	pl->qty = palloc(sizeof(int64) * cap);
	pl->reserved = palloc0(sizeof(int64) * cap);
	pl->backordered = palloc0(sizeof(int64) * cap);
	pl->price = palloc(sizeof(Numeric) * cap);
	pl->line_id = palloc0(sizeof(int64) * cap);
	pl->nrsv = 0;
	pl->rsv_cap = cap + nalloc + 1;
	pl->rsv = palloc(sizeof(OmsAlloc) * pl->rsv_cap);
	pl->rsv_line = palloc(sizeof(int) * pl->rsv_cap);
}

static void
add_planned_line(PlannedLines *pl, int64 item, const char *kind, int64 parent_no,
				 int64 qty, Numeric price)
{
	int			n = pl->n++;

	pl->no[n] = n + 1;
	pl->item[n] = item;
	pl->kind[n] = CStringGetTextDatum(kind);
	pl->parent_no[n] = parent_no;
	pl->qty[n] = qty;
	pl->price[n] = price;
}

/*
 * Hand the allocations out to the stocked lines in line order; what a line
 * does not get is backordered.  A bundle line carries no stock.
 */
static void
hand_out_allocations(PlannedLines *pl, const OmsAlloc *alloc, int nalloc, const bool *is_bundle)
{
	int64	   *left = palloc(sizeof(int64) * Max(nalloc, 1));
	int			n;
	int			i;

	for (i = 0; i < nalloc; i++)
		left[i] = alloc[i].qty;
	for (n = 0; n < pl->n; n++)
	{
		int64		need = pl->qty[n];

		if (is_bundle[n])
			continue;
		for (i = 0; i < nalloc && need > 0; i++)
		{
			int64		take;

			if (alloc[i].item_id != pl->item[n] || left[i] == 0)
				continue;
			take = Min(need, left[i]);
			left[i] -= take;
			need -= take;
			pl->reserved[n] += take;
			Assert(pl->nrsv < pl->rsv_cap);
			pl->rsv[pl->nrsv] = alloc[i];
			pl->rsv[pl->nrsv].qty = take;
			pl->rsv_line[pl->nrsv] = n;
			pl->nrsv++;
		}
		pl->backordered[n] = need;
	}
}

/* Step: the order lines, with each line's share of its item's allocations. */
static void
plan_lines(const PlaceRequest *req, const Placement *p, PlannedLines *pl)
{
	int			cap = 0;
	bool	   *is_bundle;
	int			i;
	int			j;

	for (i = 0; i < req->nin; i++)
		cap += 1 + (p->res[i].is_bundle ? p->res[i].ncomp : 0);
	planned_lines_alloc(pl, cap, p->nalloc);
	is_bundle = palloc0(sizeof(bool) * cap);
	for (i = 0; i < req->nin; i++)
	{
		const OmsResolved *r = &p->res[i];
		int64		parent_no = pl->n + 1;

		is_bundle[pl->n] = r->is_bundle;
		add_planned_line(pl, r->item_id, r->is_bundle ? "bundle" : "item", 0, req->in[i].qty,
						 req->in[i].unit_price ? req->in[i].unit_price : int64_to_numeric(0));
		for (j = 0; r->is_bundle && j < r->ncomp; j++)
			add_planned_line(pl, r->comp_item[j], "component", parent_no,
							 oms_mul_qty(r->comp_qty[j], req->in[i].qty, "bundle quantity"),
							 int64_to_numeric(0));
	}
	hand_out_allocations(pl, p->alloc, p->nalloc, is_bundle);
}

/*
 * Insert the planned lines that are parents (top-level lines) or the
 * others (components), in one statement, and note their ids.
 */
static void
insert_line_rows(int64 order_id, PlannedLines *pl, bool parents)
{
	int64	   *no = palloc(sizeof(int64) * pl->n);
	int64	   *item = palloc(sizeof(int64) * pl->n);
	Datum	   *kind = palloc(sizeof(Datum) * pl->n);
	int64	   *parent = palloc(sizeof(int64) * pl->n);
	int64	   *qty = palloc(sizeof(int64) * pl->n);
	int64	   *res = palloc(sizeof(int64) * pl->n);
	int64	   *back = palloc(sizeof(int64) * pl->n);
	Datum	   *price = palloc(sizeof(Datum) * pl->n);
	bool		isnull;
	int			k = 0;
	int			got;
	int			i;

	for (i = 0; i < pl->n; i++)
	{
		if ((pl->parent_no[i] == 0) != parents)
			continue;
		no[k] = pl->no[i];
		item[k] = pl->item[i];
		kind[k] = pl->kind[i];
		parent[k] = pl->parent_no[i];
		qty[k] = pl->qty[i];
		res[k] = pl->reserved[i];
		back[k] = pl->backordered[i];
		price[k] = NumericGetDatum(pl->price[i]);
		k++;
	}
	if (k == 0)
		return;
	got = oms_order_lines_insert(order_id, k, no, item, kind, parent, qty, res, back, price);
	Assert(got == k);
	for (i = 0; i < got; i++)
		pl->line_id[oms_spi_int64(i, 2, &isnull) - 1] = oms_spi_int64(i, 1, &isnull);
}

/*
 * Step: write the lines (parents first, so that components can point at
 * them: a second statement only when there are bundles) and the
 * reservations (one statement).
 */
static void
write_lines(const Placement *p, PlannedLines *pl)
{
	int64	   *rsv_line_id = palloc(sizeof(int64) * Max(pl->nrsv, 1));
	int			i;

	insert_line_rows(p->order_id, pl, true);
	insert_line_rows(p->order_id, pl, false);
	for (i = 0; i < pl->nrsv; i++)
		rsv_line_id[i] = pl->line_id[pl->rsv_line[i]];
	oms_reservations_insert(pl->nrsv, rsv_line_id, 0, pl->rsv, 0);
}

/* Step: order type, events, confirmation at placement. */
static void
finish_placement(const PlaceRequest *req, const Placement *p)
{
	Datum		args[2];

	if (p->backordered_units > 0)
	{
		args[0] = Int64GetDatum(p->order_id);
		args[1] = CStringGetTextDatum(p->any_preorder ? "preorder" : "backorder");
		oms_plan_exec(&plan_order_type, args, NULL, false, 0, SPI_OK_UPDATE);
	}
	oms_emit_event_json("order.placed", "order", p->order_id,
						psprintf("{\"order_number\": \"%s\", \"channel\": %s, \"customer\": %s,"
								 " \"lines\": %d, \"currency\": \"%s\", \"backordered_units\": " INT64_FORMAT "}",
								 p->order_number, oms_json_quote(req->channel),
								 oms_json_quote(req->customer), req->nin, req->currency,
								 p->backordered_units));
	if (p->backordered_units > 0)
		oms_emit_event_json(p->any_preorder ? "order.preordered" : "order.backordered", "order",
							p->order_id,
							psprintf("{\"order_number\": \"%s\", \"backordered_units\": " INT64_FORMAT "}",
									 p->order_number, p->backordered_units));
	if (req->confirm)
		oms_order_set_status(p->order_id, "confirmed", "confirmed at placement");
}

/*
 * Place an order: what oms.place_order(customer, channel, lines, options)
 * does, for the API (api/orders.c) and for an exchange's replacement order
 * (api/returns.c).  customer and channel are not NULL; options may be.
 * Connects to SPI itself.  Returns the order id.
 *
 * options: channel_order_ref, idempotency_key, ship_to, service_level,
 * currency, tax, shipping, discount, strategy, allow_split, hold,
 * payment_required, confirm, customer_name, promised_at.
 */
int64
oms_place_order_internal(const char *customer, const char *channel, Jsonb *lines,
						 Jsonb *options)
{
	PlaceRequest req;
	Placement	p;
	PlannedLines pl;
	int64		first;

	parse_place_request(customer, channel, lines, options, &req);
	oms_spi_connect();
	if (claim_order_key(&req, &first))
	{
		oms_spi_finish();
		return first;
	}
	memset(&p, 0, sizeof(Placement));
	p.channel_id = active_channel(req.channel);
	p.res = oms_resolve_lines(req.nin, req.in);
	p.nd = oms_demand_of(req.nin, req.in, p.res, &p.d);
	p.customer_id = customer_of(req.customer, req.customer_name);
	p.hold_id = lock_cart_hold(req.hold_ref);
	lock_placement_levels(&p);
	if (insert_order_row(&req, &p))
	{
		take_over_hold(&p);
		allocate_rest(&req, &p);
		plan_lines(&req, &p, &pl);
		write_lines(&p, &pl);
		oms_levels_flush(&p.ls);
		finish_placement(&req, &p);
	}
	else
		oms_levels_flush(&p.ls);	/* only what expired holds gave back */
	if (req.idem_key)
		oms_idem_store("place_order", req.idem_key, "order_id", p.order_id);
	oms_set_reason(NULL);
	oms_spi_finish();
	return p.order_id;
}
