#!/usr/bin/python3
"""check_layers.py — the arrow rule between the rooms of src/ (README, "How the
code is organised").

Every directory under src/ is a room. A file may include headers of its own
room and of the rooms its room's row in ALLOWED names; nothing else. The table
has no circles (checked here too), so includes only run downward. A few headers
are private to some rooms (PRIVATE). Any `#include "..."` that names no file
under src/ (a removed header such as nb_internal.h) is an error too, except the
generated protobuf-c headers and include/nabla.h.

  check_layers.py SRC_DIR      check a tree; exit 1 and one line per violation
  check_layers.py --self-test  check that the checker catches violations
  check_layers.py --objects NM OBJ...
                               the same rule for calls and data: which object
                               file uses a symbol another one defines (nm), for
                               the library's objects (CMake's src/<room>/<f>.c.o)
"""
import os
import re
import sys
import tempfile

# room -> the rooms its files may include (besides its own). Read as arrows
# pointing down: ops -> kernel means kernels use the kernel services.
ALLOWED = {
    "core": [],
    "graph": ["core"],
    "io": ["core", "graph"],
    "kernel": ["core", "graph"],
    "ops": ["core", "graph", "io", "kernel"],
    "grad": ["core", "graph", "kernel", "ops"],
    "train": ["core", "graph", "kernel", "ops", "grad"],
    "layers": ["core", "graph", "kernel", "ops"],
    "graphdef": ["core", "graph", "io", "kernel", "ops"],
    "run": ["core", "graph", "io", "kernel", "ops"],
    "ml": ["core"],
    "plot": ["core"],
    "dist": ["core", "graph", "io", "kernel", "ops", "grad", "train"],
}

# header -> the only rooms that may include it.
PRIVATE = {
    # the plan, its steps and the state kernels touch: the kernel services and
    # the executor only; kernels see kernel/kernel.h
    "kernel/exec.h": ["kernel", "run"],
}

# (file, room it may include although its row does not allow it): each with why.
EXCEPTIONS = {
    # The op-type enum (NBI_OP_*) is the list in ops/ops.def: names only, no
    # code. A node keeps its type (nb_op.type), which the ops and the importer
    # compare and index by.
    ("graph/graph_impl.h", "ops"): "the op-type enum is generated from ops/ops.def",
}

# (file, room) pairs whose calls may cross the table although their includes
# follow it (none now; a pending move would be listed here with its reason).
SYMBOL_EXCEPTIONS = {
}

GENERATED = re.compile(r"^[a-z_]+\.pb-c\.h$")
PUBLIC = {"nabla.h"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def circles(allowed):
    """Rooms on a circle of the table, if any."""
    state = {}
    bad = []

    def visit(r, path):
        if state.get(r) == 1:
            bad.append(" -> ".join(path[path.index(r):] + [r]))
            return
        if state.get(r) == 2:
            return
        state[r] = 1
        for d in allowed.get(r, []):
            visit(d, path + [r])
        state[r] = 2

    for r in allowed:
        visit(r, [])
    return bad


def room_of(rel):
    parts = rel.split("/")
    return parts[0] if len(parts) > 1 else ""


def check(src):
    errors = []
    for c in circles(ALLOWED):
        errors.append("the room table has a circle: " + c)
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames.sort()
        for name in sorted(filenames):
            if not name.endswith((".c", ".h", ".inc", ".def")):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, src).replace(os.sep, "/")
            room = room_of(rel)
            if room and room not in ALLOWED:
                errors.append("src/%s: room '%s' is not in the table of tests/check_layers.py" % (rel, room))
                continue
            with open(path, encoding="utf-8", errors="replace") as f:
                lines = f.readlines()
            for ln, line in enumerate(lines, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                inc = m.group(1)
                here = os.path.normpath(os.path.join(os.path.dirname(path), inc))
                top = os.path.normpath(os.path.join(src, inc))
                if os.path.isfile(here):
                    target = os.path.relpath(here, src).replace(os.sep, "/")
                elif os.path.isfile(top):
                    target = os.path.relpath(top, src).replace(os.sep, "/")
                elif GENERATED.match(inc) or inc in PUBLIC:
                    continue
                else:
                    errors.append("src/%s:%d: includes \"%s\", which is no file under src/" % (rel, ln, inc))
                    continue
                if target.startswith("../"):
                    continue
                troom = room_of(target)
                where = "src/%s:%d: includes src/%s" % (rel, ln, target)
                if not room:
                    errors.append("%s: files belong in a room (a directory of src/)" % where)
                    continue
                if not troom:
                    errors.append("%s: headers belong in a room (a directory of src/)" % where)
                    continue
                if target in PRIVATE and room not in PRIVATE[target]:
                    errors.append("%s: that header is private to %s" % (where, ", ".join(PRIVATE[target])))
                    continue
                if troom == room or troom in ALLOWED[room] or (rel, troom) in EXCEPTIONS:
                    continue
                errors.append("%s: room '%s' may not include room '%s' (%s may include: %s)"
                              % (where, room, troom, room, ", ".join(ALLOWED[room]) or "nothing"))
    return errors


def check_objects(nm, objects):
    """Symbol-level arrows: object A uses a symbol object B defines."""
    import subprocess
    defs, uses = {}, {}
    for o in objects:
        m = re.search(r"/src/(.+)\.o$", o)
        if not m:
            continue  # generated protobuf-c code: no room
        rel = m.group(1)
        out = subprocess.run([nm, o], capture_output=True, text=True, check=True).stdout
        d, u = set(), set()
        for line in out.splitlines():
            f = line.split()
            if len(f) == 3 and f[1] in "TDBRCV":
                d.add(f[2])
            elif len(f) == 2 and f[0] == "U":
                u.add(f[1])
        defs[rel], uses[rel] = d, u
    owner = {sym: f for f, d in defs.items() for sym in d}
    errors = []
    for f in sorted(uses):
        room = room_of(f)
        crossing = {}
        for sym in uses[f]:
            g = owner.get(sym)
            if not g or room_of(g) == room:
                continue
            troom = room_of(g)
            if troom in ALLOWED.get(room, []) or (f, troom) in EXCEPTIONS or (f, troom) in SYMBOL_EXCEPTIONS:
                continue
            crossing.setdefault(g, []).append(sym)
        for g, syms in sorted(crossing.items()):
            errors.append("src/%s uses %s of src/%s: room '%s' may not use room '%s' (%s may use: %s)"
                          % (f, ", ".join(sorted(syms)), g, room, room_of(g), room,
                             ", ".join(ALLOWED.get(room, [])) or "nothing"))
    if not defs:
        errors.append("no object file of src/ was given")
    return errors


def self_test():
    """A small tree with one violation of each kind must fail; without them, pass."""
    ok = True
    with tempfile.TemporaryDirectory() as d:
        def put(rel, text):
            p = os.path.join(d, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w") as f:
                f.write(text)

        put("core/core.h", '#include "nabla.h"\n')
        put("run/run.h", '#include "kernel/exec.h"\n')
        put("kernel/kernel.h", '#include "core/core.h"\n')
        put("kernel/exec.h", '#include "kernel/kernel.h"\n')
        put("ops/ops_impl.h", '#include "kernel/kernel.h"\n#include "event.pb-c.h"\n')
        put("ops/math.c", '#include "ops/ops_impl.h"\n')
        if check(d):
            print("self-test: a clean tree was refused: %s" % check(d))
            ok = False
        cases = [
            ("ops/bad.c", '#include "run/run.h"\n', "room 'ops' may not include room 'run'"),
            ("ops/bad.c", '#include "kernel/exec.h"\n', "private to kernel, run"),
            ("core/bad.c", '#include "../ops/ops_impl.h"\n', "room 'core' may not include room 'ops'"),
            ("graph/bad.c", '#include "nb_internal.h"\n', "no file under src/"),
            ("top.c", '#include "core/core.h"\n', "files belong in a room"),
            ("newroom/x.c", '#include "core/core.h"\n', "is not in the table"),
        ]
        for rel, text, want in cases:
            put(rel, text)
            errs = check(d)
            os.remove(os.path.join(d, rel))
            if not any(want in e for e in errs):
                print("self-test: src/%s with %r was not refused with '%s' (got %s)" % (rel, text.strip(), want, errs))
                ok = False
    # symbol level: an ops object calling a function of run/ (declared by hand,
    # so no include shows it) is refused; calling core is not
    import shutil
    import subprocess
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    nm = shutil.which("nm")
    if not cc or not nm:
        print("self-test: no C compiler or nm to build the object-level case")
        ok = False
    else:
        with tempfile.TemporaryDirectory() as d:
            srcs = {
                "run/session.c": "int nbi_run_fn(void) { return 1; }\n",
                "core/alloc.c": "int nbi_core_fn(void) { return 2; }\n",
                "ops/math.c": "int nbi_core_fn(void);\nint ops_fn(void) { return nbi_core_fn(); }\n",
                "ops/bad.c": "int nbi_run_fn(void);\nint ops_bad(void) { return nbi_run_fn(); }\n",
            }
            objs = {}
            for rel, text in srcs.items():
                c = os.path.join(d, "src", rel)
                os.makedirs(os.path.dirname(c), exist_ok=True)
                with open(c, "w") as f:
                    f.write(text)
                objs[rel] = c + ".o"
                subprocess.run([cc, "-c", c, "-o", objs[rel]], check=True)
            clean = [objs[r] for r in ("run/session.c", "core/alloc.c", "ops/math.c")]
            if check_objects(nm, clean):
                print("self-test: clean objects were refused: %s" % check_objects(nm, clean))
                ok = False
            errs = check_objects(nm, clean + [objs["ops/bad.c"]])
            if not any("src/ops/bad.c uses nbi_run_fn of src/run/session.c" in e for e in errs):
                print("self-test: an ops object calling run/ was not refused (got %s)" % errs)
                ok = False
    saved = dict(ALLOWED)
    ALLOWED["core"] = ["ops"]
    if not any("circle" in e for e in check(tempfile.gettempdir() + "/nonexistent-nabla-dir")):
        print("self-test: a circle in the table was not reported")
        ok = False
    ALLOWED.clear()
    ALLOWED.update(saved)
    print("self-test: %s" % ("passed" if ok else "FAILED"))
    return ok


def main(argv):
    if len(argv) == 2 and argv[1] == "--self-test":
        return 0 if self_test() else 1
    if len(argv) >= 3 and argv[1] == "--objects":
        errors = check_objects(argv[2], argv[3:])
        for e in errors:
            print(e)
        if errors:
            print("%d file(s) use symbols across the arrow rule" % len(errors))
            return 1
        print("every call and data reference between the %d objects of src/ follows the arrow rule"
              % sum(1 for o in argv[3:] if "/src/" in o))
        return 0
    if len(argv) != 2 or not os.path.isdir(argv[1]):
        print(__doc__.strip())
        return 2
    errors = check(argv[1])
    for e in errors:
        print(e)
    if errors:
        print("%d include(s) break the arrow rule (README: How the code is organised)" % len(errors))
        return 1
    print("every include of src/ follows the arrow rule")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
