#!/usr/bin/env bash
# test_cli.sh — golden-output tests of the `nabla` command-line tool.
#
# Usage: test_cli.sh NABLA CLI_FIXTURE GOLDEN_DIR
#
# cli_fixture writes known runs (tests/cli_fixture.c: the HW2 graph, the linear
# regression with its gradients plus scalars, histograms and an image, a
# 4-layer Adam network, and corrupt / truncated copies) into a temporary
# directory; `nabla events` output is compared with GOLDEN_DIR/*.out (stdout)
# and *.err (stderr), `nabla graph` output is checked for structure.
# The goldens depend on the GraphDefs (node counts, byte offsets): after a
# deliberate change to the graphs, regenerate them with
#   UPDATE_GOLDEN=1 ctest -R cli      (then review `git diff tests/golden`)
set -u
nabla=$(realpath "$1")
fixture=$(realpath "$2")
golden=$(realpath "$3")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
pass() { echo "ok   $*"; }
fail() {
    echo "FAIL $*"
    fails=$((fails + 1))
}

cd "$tmp" || exit 1

# Under AddressSanitizer: Graphviz and the font stack under its PNG/SVG
# renderers (fontconfig, pango, glib) keep caches they never free; those are
# not nabla's leaks. The tool's own allocations stay checked.
cat >lsan.supp <<'EOF'
leak:libgvc.so
leak:libcgraph.so
leak:libcdt.so
leak:libgvplugin_
leak:libfontconfig.so
leak:libglib-2.0.so
leak:libgobject-2.0.so
leak:libpango
leak:libcairo.so
leak:libharfbuzz.so
leak:libfreetype.so
EOF
export LSAN_OPTIONS="suppressions=$tmp/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
if ! "$fixture" "$tmp" >fixture.log 2>&1; then
    cat fixture.log
    echo "FAIL cli_fixture could not write the runs"
    exit 1
fi

# run NAME EXPECTED_RC ARGS...: runs nabla ARGS, stdout to NAME.out, stderr to NAME.err.
run() {
    local name=$1 want=$2
    shift 2
    "$nabla" "$@" >"$name.out" 2>"$name.err"
    local rc=$?
    if [ "$rc" -ne "$want" ]; then
        fail "$name: exit status $rc, expected $want (nabla $*)"
        sed 's/^/    /' "$name.err" | head -20
        return 1
    fi
    return 0
}

# golden NAME EXPECTED_RC ARGS...: run, then compare NAME.out (and NAME.err when
# the golden one exists) with GOLDEN_DIR.
golden() {
    local name=$1
    run "$@" || return
    local f ok=1
    for f in "$name.out" "$name.err"; do
        if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
            if [ "$f" = "$name.out" ] || [ -s "$f" ]; then cp "$f" "$golden/$f"; fi
            continue
        fi
        [ -e "$golden/$f" ] || { [ "$f" = "$name.err" ] && [ ! -s "$f" ] && continue; }
        if ! diff -u "$golden/$f" "$f" >"$f.diff" 2>&1; then
            fail "$name: $f differs from $golden/$f"
            sed 's/^/    /' "$f.diff" | head -40
            ok=0
        fi
    done
    [ "$ok" = 1 ] && pass "$name"
}

has() { grep -qF -- "$2" "$1"; }

# --- general ----------------------------------------------------------------
if run help 0 --help && has help.out "events LOGDIR" && has help.out "graph LOGDIR"; then
    pass "--help"
else fail "--help does not describe both commands"; fi
if run version 0 --version && grep -qE '^nabla [0-9]+\.[0-9]+\.[0-9]+$' version.out; then
    pass "--version: $(cat version.out)"
else fail "--version: '$(cat version.out)'"; fi
if run unknown 2 frobnicate && has unknown.err "unknown command 'frobnicate'" && has unknown.err "nabla --help"; then
    pass "unknown command"
else fail "unknown command message: $(cat unknown.err)"; fi
if run noargs 2; then pass "no command"; fi
if run badopt 2 events --colour logs && has badopt.err "unknown option '--colour'"; then
    pass "unknown option"
else fail "unknown option message: $(cat badopt.err)"; fi
if run badfmt 2 events --format xml logs && has badfmt.err "use csv or json"; then
    pass "unknown format"
else fail "unknown format message: $(cat badfmt.err)"; fi

# --- nabla events -----------------------------------------------------------
golden events_csv 0 events logs --no-wall-time
golden events_json 0 events logs --no-wall-time --format json
golden events_tag 0 events logs --tag loss --no-wall-time
golden summary_csv 0 events --summary logs
golden summary_json 0 events --summary --format json logs
# corrupt and truncated files: message with the byte offset on stderr, the
# records before it listed, the other files read, exit status 1
golden events_bad 1 events bad --no-wall-time
golden truncated_json 1 events bad/truncated/events.out.tfevents.0000000001.fixture --no-wall-time --format json
golden corrupt_summary 1 events --summary bad/corrupt

# JSON outputs parse (Debian's python3, when present)
py=$(command -v /usr/bin/python3 || command -v python3 || true)
if [ -n "$py" ]; then
    for f in events_json.out summary_json.out truncated_json.out; do
        if "$py" -m json.tool "$f" >/dev/null 2>&1; then pass "$f is valid JSON"
        else fail "$f is not valid JSON"; fi
    done
fi

# wall times: present by default, seconds since the epoch
if run wall 0 events logs/train && head -1 wall.out | grep -q '^run,tag,step,wall_time,kind,' &&
    awk -F, 'NR > 1 && !($4 > 1e9) { bad = 1 } END { exit bad }' wall.out; then
    pass "wall_time column"
else fail "wall_time column missing or not epoch seconds"; fi

if run missing 1 events no/such/dir && has missing.err "no/such/dir"; then pass "events: missing path"
else fail "events: missing path message: $(cat missing.err)"; fi

# --- nabla graph ------------------------------------------------------------
if run svg 0 graph logs --run hw2 -o hw2.svg; then
    if head -c 300 hw2.svg | grep -qE '<\?xml|<svg'; then pass "svg: header"; else fail "svg: no <?xml/<svg header"; fi
    for s in '>Input_placeholder<' '>Middle_section<' '>Final_node<'; do
        if has hw2.svg "$s"; then pass "svg: cluster label $s"; else fail "svg: no cluster label $s"; fi
    done
    ok=1
    for s in Input_placeholder/a Middle_section/prod_b Middle_section/Mean Middle_section/sum_a \
        Middle_section/add_d Final_node/final_multiply_node '>prod_b<' '>final_multiply_node<' \
        '>Placeholder<' '>Prod<' '>Mul<'; do
        has hw2.svg "$s" || { fail "svg: no '$s'"; ok=0; }
    done
    [ "$ok" = 1 ] && pass "svg: node names and op types"
fi
if run png 0 graph logs --run hw2 -o hw2.png; then
    sig=$(head -c 8 hw2.png | od -An -tx1 | tr -d ' \n')
    if [ "$sig" = 89504e470d0a1a0a ] && [ "$(wc -c <hw2.png)" -gt 1000 ]; then
        pass "png: signature, $(wc -c <hw2.png) bytes"
    else fail "png: bad signature '$sig' or empty"; fi
fi
if run dot 0 graph logs --run hw2 -o hw2.dot && has hw2.dot 'subgraph cluster_Middle_section' &&
    has hw2.dot 'subgraph cluster_Input_placeholder' && has hw2.dot 'subgraph cluster_Final_node'; then
    pass "dot: clusters"
else fail "dot: no 'subgraph cluster_' per scope"; fi

# the training graph: shapes on data edges, dashed control edges, a nested scope
if run train_dot 0 graph logs/train -o train.dot; then
    ok=1
    for s in 'label="?x2"' 'label="?x1"' 'style=dashed' '"cluster_gradients/' 'gradients/SquaredDifference_grad/'; do
        has train.dot "$s" || { fail "train.dot: no '$s'"; ok=0; }
    done
    # Graphviz may write a label equal to an HTML node label as <scalar>
    grep -qE 'label=<?scalar>?[],]' train.dot || { fail "train.dot: no 'scalar' edge label"; ok=0; }
    [ "$ok" = 1 ] && pass "dot: edge shapes, control edges, nested scopes"
fi

# layout time: the linear regression with its gradients must take a few seconds
# at most; the 4-layer Adam network (hundreds of nodes) gets more room
now() { date +%s.%N; }
for r in train:10 mlp:30; do
    run="${r%%:*}" limit="${r##*:}"
    t0=$(now)
    if run "time_$run" 0 graph logs --run "$run" -o "$run.svg"; then
        secs=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
        nodes=$(grep -o '([0-9]* nodes)' "$run.svg" | head -1)
        if awk -v s="$secs" -v l="$limit" 'BEGIN { exit !(s < l) }'; then pass "layout of $run $nodes: ${secs}s"
        else fail "layout of $run $nodes took ${secs}s (limit ${limit}s)"; fi
    fi
done

# --depth: scopes below the depth become one box each
if run depth 0 graph logs --run mlp --depth 1 -o mlp1.dot && has mlp1.dot box3d &&
    has mlp1.dot '"train/gradients"' && has mlp1.dot '<B>gradients</B>' && ! has mlp1.dot '"train/gradients/'; then
    pass "graph --depth 1 collapses train/gradients"
else fail "graph --depth 1: $(cat depth.err)"; fi
if run baddepth 2 graph logs --run mlp --depth x -o x.svg && has baddepth.err "--depth needs a number"; then
    pass "graph --depth: bad value"
else fail "graph --depth bad value: $(cat baddepth.err)"; fi

# errors: message, exit status 1, no output file and no temporary left behind
if run several 1 graph logs -o several.svg && has several.err "choose one with --run" &&
    has several.err "hw2 mlp train" && [ ! -e several.svg ]; then
    pass "graph: several runs need --run"
else fail "graph: several runs: $(cat several.err)"; fi
echo old >kept.svg
if run nograph 1 graph logs/train/events.out.tfevents.0000000002.fixture -o kept.svg &&
    has nograph.err "no graph" && [ "$(cat kept.svg)" = old ]; then
    pass "graph: a file without a graph (existing output untouched)"
else fail "graph: no graph: $(cat nograph.err)"; fi
if run badext 1 graph logs --run hw2 -o hw2.jpg && has badext.err ".svg, .png or .dot" && [ ! -e hw2.jpg ]; then
    pass "graph: unknown extension"
else fail "graph: unknown extension: $(cat badext.err)"; fi
if run unreadable 1 graph no/such/file -o x.svg && has unreadable.err "no/such/file"; then
    pass "graph: unreadable path"
else fail "graph: unreadable path: $(cat unreadable.err)"; fi
if run norun 1 graph logs --run nope -o x.svg && has norun.err "no run 'nope'"; then
    pass "graph: unknown run"
else fail "graph: unknown run: $(cat norun.err)"; fi
if run nodir 1 graph logs --run hw2 -o no/such/dir/x.svg && has nodir.err "no/such/dir/x.svg"; then
    pass "graph: unwritable output"
else fail "graph: unwritable output: $(cat nodir.err)"; fi
if run noout 2 graph logs --run hw2 && has noout.err "missing -o"; then pass "graph: missing -o"
else fail "graph: missing -o: $(cat noout.err)"; fi
# a graph read before a corrupt record is still drawn, with a warning
if run corrupt_graph 0 graph bad/corrupt -o corrupt.svg && has corrupt_graph.err "corrupt record at byte" &&
    has corrupt.svg "<svg"; then
    pass "graph: drawn from the records before a corrupt one"
else fail "graph: corrupt file: $(cat corrupt_graph.err)"; fi
# plot: one line per run of a scalar tag
if run plot 0 plot logs --tag loss -o loss.png && has plot.out "loss.png" &&
    [ "$(head -c 8 loss.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then
    pass "plot: a PNG of tag 'loss' ($(cat plot.out))"
else fail "plot: $(cat plot.err)"; fi
if run plotsvg 0 plot logs/train --tag loss -o loss.svg --log-y --title "loss" && has loss.svg "<svg"; then
    pass "plot: SVG, log scale"
else fail "plot: svg: $(cat plotsvg.err)"; fi
if run plotnotag 1 plot logs --tag no_such_tag -o x.png && has plotnotag.err "no scalar tagged 'no_such_tag'" &&
    [ ! -e x.png ]; then
    pass "plot: unknown tag"
else fail "plot: unknown tag: $(cat plotnotag.err)"; fi
if run plotusage 2 plot logs -o x.png && has plotusage.err "--tag"; then pass "plot: missing --tag"
else fail "plot: missing --tag: $(cat plotusage.err)"; fi
if run plotnoval 2 plot logs -o x.png --tag && has plotnoval.err "plot: --tag needs a value" &&
    ! has plotnoval.err "unknown option"; then pass "plot: --tag without a value"
else fail "plot: --tag without a value: $(cat plotnoval.err)"; fi

# --- interop and hostile inputs (issue 18) -----------------------------------
# --tag that matches nothing says so, with the tags there are, and exits 1
if run notag 1 events logs/train --tag nosuchtag --no-wall-time &&
    has notag.err "no value tagged 'nosuchtag' under 'logs/train'; tags: loss, accuracy, weights, input" &&
    [ "$(cat notag.out)" = "run,tag,step,kind,value,count,min,max,mean,width,height" ]; then
    pass "events --tag with no match"
else fail "events --tag with no match: $(cat notag.err)"; fi
# a logdir with links to itself: listed once, not forever (timeout ends the old hang)
mkdir -p loop/run && cp logs/train/* loop/run/ && ln -s . loop/a && ln -s . loop/b && ln -s . loop/run/again
run loopref 0 events loop/run --no-wall-time
if timeout 60 "$nabla" events loop --no-wall-time >loop.out 2>loop.err &&
    [ "$(tail -n +2 loop.out | sed 's/^run,//')" = "$(tail -n +2 loopref.out | sed 's/^\.,//')" ] &&
    [ "$(wc -l <loop.out)" -gt 10 ]; then
    pass "events: a logdir with symlinks to itself lists each run once"
else fail "events: symlink loop: $(wc -l <loop.out) lines; $(head -3 loop.err)"; fi
# --summary over 30000 tags: one row per tag, first and last values (kept fast:
# it was quadratic in the tags)
if timeout 120 "$nabla" events --summary many >many.out 2>many.err &&
    [ "$(wc -l <many.out)" = 30001 ] &&
    [ "$(sed -n 2p many.out)" = ".,tag_00000,scalar,2,1,0,2,1" ] &&
    has many.out ".,tag_29999,scalar,2,1,59998,2,59999" &&
    [ "$(cut -d, -f2 many.out | sort -u | wc -l)" = 30001 ]; then
    pass "events --summary: 30000 tags"
else fail "events --summary, many tags: $(wc -l <many.out) lines; $(head -3 many.err)"; fi
# tags that are not UTF-8 (another writer's): JSON stays valid, U+FFFD per bad byte
if run badutf8 0 events badutf8 --format json --no-wall-time &&
    has badutf8.out '"tag": "a\ufffdb"' && has badutf8.out '"tag": "\ufffd("'; then
    pass "events --format json: tags that are not UTF-8 are escaped"
else fail "events json, bad UTF-8: $(cat badutf8.out badutf8.err)"; fi
if [ -n "$py" ]; then
    for f in badutf8.out; do
        if "$py" -c 'import json,sys; json.loads(open(sys.argv[1],"rb").read().decode("utf-8"))' "$f" >/dev/null 2>&1
        then pass "$f is valid JSON in UTF-8"
        else fail "$f is not valid JSON in UTF-8"; fi
    done
fi
if run badutf8s 0 events --summary --format json badutf8 && has badutf8s.out '"tag": "a\ufffdb"'; then
    pass "events --summary --format json: tags that are not UTF-8 are escaped"
else fail "events --summary json, bad UTF-8: $(cat badutf8s.out)"; fi

# a GraphDef whose names are not UTF-8 (another writer's): the SVG stays well-formed
# XML in UTF-8, invalid bytes drawn as U+FFFD, edges kept
if run badutf8svg 0 graph badutf8graph -o badutf8.svg && run badutf8dot 0 graph badutf8graph -o badutf8.dot &&
    has badutf8svg.err "3 nodes have names, op types or inputs that are not valid UTF-8" &&
    has badutf8.svg "x$(printf '\357\277\275')" && has badutf8.svg "Bad$(printf '\357\277\275')Op" &&
    has badutf8.dot "sc$(printf '\357\277\275')/y$(printf '\357\277\275')(" &&
    [ "$(grep -c -- '->' badutf8.dot)" = 2 ]; then
    pass "graph: names that are not UTF-8 are drawn with U+FFFD"
else fail "graph, bad UTF-8: $(cat badutf8svg.err badutf8dot.err)"; fi
if [ -n "$py" ]; then
    for f in badutf8.svg badutf8.dot; do
        if "$py" -c 'import sys; open(sys.argv[1],"rb").read().decode("utf-8")' "$f" >/dev/null 2>&1
        then pass "$f is UTF-8"
        else fail "$f is not UTF-8"; fi
    done
    if "$py" -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' badutf8.svg >/dev/null 2>&1
    then pass "badutf8.svg is well-formed XML"
    else fail "badutf8.svg is not well-formed XML"; fi
fi

if ls -a | grep -q '\.tmp'; then fail "temporary files left: $(ls -a | grep '\.tmp')"; else pass "no temporary files left"; fi

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed (goldens in $golden; UPDATE_GOLDEN=1 regenerates them)"
    exit 1
fi
echo "all cli checks passed"
