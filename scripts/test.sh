#!/usr/bin/env bash
# test.sh: run every test layer of oms against throwaway clusters.
#
#   pg_regress   sql/*.sql against expected/*.out
#   isolation    test/specs/*.spec against test/expected/*.out
#   TAP          test/t/*.pl (each starts its own clusters)
#
# Installs what is missing (as root), builds with -Werror, installs, starts a
# private cluster, runs everything, prints the diffs of what failed and ends
# with "N passed, N failed".  Exits non-zero when anything failed.
#
# Select layers with OMS_LAYERS="regress isolation tap" (default: all) and
# single tests with OMS_REGRESS="inventory", OMS_ISOLATION=..., OMS_TAP=...
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

layers=${OMS_LAYERS:-regress isolation tap}
pgxs_dir=$(dirname "$("$OMS_PG_CONFIG" --pgxs)")/..
passed=0
failed=0
failed_names=()

oms_ensure_packages
oms_lock
oms_build_install
oms_cluster_start postgres
results=$OMS_TMP/results
mkdir -p "$results"
chmod 777 "$results"

# pg_regress prints one line per test: "test NAME ... ok" or "... FAILED".
count_regress_output() {
    local out=$1 line name status
    while IFS= read -r line; do
        if [[ $line =~ ^(test|ok|not\ ok|\ +)?[[:space:]]*([A-Za-z0-9_-]+)[[:space:]]+\.\.\.[[:space:]]+(ok|FAILED|failed) ]]; then
            name=${BASH_REMATCH[2]}
            status=${BASH_REMATCH[3]}
            if [ "$status" = ok ]; then
                passed=$((passed + 1))
            else
                failed=$((failed + 1))
                failed_names+=("$2/$name")
            fi
        fi
    done <"$out"
}

# A runner that exits non-zero without reporting a failed test (it could not
# connect, say) still counts as one failure.
harness_check() {
    local rc=$1 layer=$2 f
    [ "$rc" -eq 0 ] && return 0
    for f in "${failed_names[@]}"; do
        [[ $f == "$layer"/* ]] && return 0
    done
    failed=$((failed + 1))
    failed_names+=("$layer/(runner exited $rc)")
}

run_regress() {
    local tests rc=0
    tests=${OMS_REGRESS:-$(cd "$OMS_ROOT/sql" && ls *.sql | sed 's/\.sql$//' | sort | tr '\n' ' ')}
    [ -n "$tests" ] || return 0
    echo "== pg_regress: $tests"
    mkdir -p "$results/regress"
    # shellcheck disable=SC2086
    "$pgxs_dir/test/regress/pg_regress" --bindir="$OMS_BINDIR" \
        --inputdir="$OMS_ROOT" --outputdir="$results/regress" \
        --dbname=oms_regress --host="$PGHOST" --port="$PGPORT" --user=postgres \
        $tests >"$results/regress.out" 2>&1 || rc=$?
    cat "$results/regress.out"
    count_regress_output "$results/regress.out" regress
    harness_check "${rc:-0}" regress
    [ -f "$results/regress/regression.diffs" ] && cat "$results/regress/regression.diffs"
    return 0
}

run_isolation() {
    local tests rc=0
    tests=${OMS_ISOLATION:-$(cd "$OMS_ROOT/test/specs" 2>/dev/null && ls *.spec 2>/dev/null | sed 's/\.spec$//' | sort | tr '\n' ' ')}
    [ -n "$tests" ] || return 0
    echo "== isolation: $tests"
    mkdir -p "$results/isolation"
    # shellcheck disable=SC2086
    "$pgxs_dir/test/isolation/pg_isolation_regress" --bindir="$OMS_BINDIR" \
        --inputdir="$OMS_ROOT/test" --outputdir="$results/isolation" \
        --dbname=oms_isolation --host="$PGHOST" --port="$PGPORT" --user=postgres \
        $tests >"$results/isolation.out" 2>&1 || rc=$?
    cat "$results/isolation.out"
    count_regress_output "$results/isolation.out" isolation
    harness_check "${rc:-0}" isolation
    [ -f "$results/isolation/regression.diffs" ] && cat "$results/isolation/regression.diffs"
    return 0
}

# Each TAP file runs on its own under prove, as the cluster's user (initdb
# refuses root), from a copy of test/t that user can read.
run_tap() {
    local tests t name
    tests=${OMS_TAP:-$(cd "$OMS_ROOT/test/t" 2>/dev/null && ls *.pl 2>/dev/null | sort | tr '\n' ' ')}
    [ -n "$tests" ] || return 0
    echo "== TAP: $tests"
    mkdir -p "$results/tap/t"
    cp "$OMS_ROOT"/test/t/*.pl "$results/tap/t/"
    oms_is_root && chown -R postgres:postgres "$results/tap"
    for t in $tests; do
        name=${t%.pl}
        if (cd "$results/tap" && oms_as_pg env \
                PATH="$OMS_BINDIR:$PATH" \
                PERL5LIB="$pgxs_dir/test/perl" \
                PG_REGRESS="$pgxs_dir/test/regress/pg_regress" \
                TESTDIR="$results/tap" \
                OMS_ROOT="$OMS_ROOT" \
                prove -v "t/${name%.pl}.pl" >"$results/tap/$name.out" 2>&1); then
            echo "tap $name ... ok"
            passed=$((passed + 1))
        else
            echo "tap $name ... FAILED"
            cat "$results/tap/$name.out"
            for log in "$results"/tap/tmp_check/log/*"${name}"*; do
                [ -f "$log" ] && { echo "--- $log"; tail -n 60 "$log"; }
            done
            failed=$((failed + 1))
            failed_names+=("tap/$name")
        fi
    done
}

for layer in $layers; do
    case $layer in
        regress) run_regress ;;
        isolation) run_isolation ;;
        tap) run_tap ;;
        *) echo "unknown layer $layer" >&2; exit 2 ;;
    esac
done

if [ ${#failed_names[@]} -gt 0 ]; then
    echo "failed: ${failed_names[*]}"
fi
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
