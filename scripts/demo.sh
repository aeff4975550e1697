#!/usr/bin/env bash
# demo.sh: the main job.  On a fresh Debian machine (as root) it installs what
# is missing, builds and installs oms, starts a throwaway cluster with pg_cron
# preloaded, creates the extension and walks a realistic scenario
# (scripts/demo.sql): the story of a small shop's orders, a heading and one
# line of prose per step, from stock to returns, reorder and jobs; then stops the
# cluster.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

oms_ensure_packages
oms_lock
oms_build_install
oms_cluster_start oms_demo
"$OMS_BINDIR/createdb" oms_demo
oms_psql -d oms_demo -q -c 'CREATE EXTENSION pg_cron' -c 'CREATE EXTENSION oms'
echo "== oms $(oms_psql -d oms_demo -Atc 'SELECT oms.version()') installed in database oms_demo"
oms_psql -d oms_demo -f "$OMS_ROOT/scripts/demo.sql"
# customer notifications (README, Customer notifications): the reference
# worker sends Ava's confirmation email to a local SMTP sink; the message is
# printed as the sink stored it (the body decoded from quoted-printable)
echo
echo "== 20. The confirmation email goes out"
echo "The worker claims the pending notification, hands it to the mail server (a local sink here) and marks it sent."
mail_dir="$OMS_TMP/mail"
smtp_port=$((OMS_PORT + 1))
perl "$OMS_ROOT/tools/notify-worker/smtp-sink" --port "$smtp_port" --dir "$mail_dir" &
sink=$!
trap 'kill "$sink" 2>/dev/null || true; oms_cluster_stop' EXIT
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null && break; sleep 0.1; done
PGDATABASE=oms_demo perl "$OMS_ROOT/tools/notify-worker/oms-notify-worker" --once --verbose \
    --from 'Threadline <orders@threadline.example>' --smtp "127.0.0.1:$smtp_port" --name demo-worker
kill "$sink"; wait "$sink" 2>/dev/null || true
trap oms_cluster_stop EXIT
for f in "$mail_dir"/*.eml; do
    echo "---- $(basename "$f")"
    perl -MMIME::QuotedPrint -0777 -ne '($h, $b) = split /\n\n/, $_, 2; print "$h\n\n", decode_qp($b)' "$f"
done
oms_psql -d oms_demo -c "SELECT notification_id, kind, recipient, state, attempts, claimed_by FROM oms.notification WHERE state <> 'suppressed' ORDER BY 1"
# a generated shop for the KPI views and their charts (README, For BI tools)
echo
echo "== a generated shop in database oms_shop: 2,000 orders over 90 days, through the API"
"$OMS_BINDIR/createdb" oms_shop
oms_psql -d oms_shop -q -c 'CREATE EXTENSION oms'
PATH="$OMS_BINDIR:$PATH" bash "$OMS_ROOT/bench/generate.sh" -n 2000 -d 90 oms_shop
oms_psql -d oms_shop -c 'SELECT day, channel, currency, orders, revenue, average_order_value FROM oms.kpi_sales_daily ORDER BY day DESC, channel, currency LIMIT 8' \
    -c 'SELECT * FROM oms.kpi_fulfillment_daily ORDER BY day DESC LIMIT 5'
PATH="$OMS_BINDIR:$PATH" bash "$OMS_ROOT/bench/report.sh" -o "$OMS_ROOT/report" oms_shop
echo "== charts of oms_shop written to $OMS_ROOT/report"
echo "== demo finished; stopping the cluster"
