#!/usr/bin/env python3
"""cx-check's own tests (make check runs each as a CTest test).

  verify.py bad   <cx-check> <file.c ...>   every `expect: Rn` marker found, on its
                                           line, with its rule; nothing else
  verify.py good  <cx-check> <file.c ...>   no findings, exit status 0
  verify.py db    <cx-check> <compile_commands.json> <dir ...>
                                           no findings over those entries
  verify.py errors <cx-check>               usage and parse errors exit 2, loudly
"""

import collections
import os
import re
import subprocess
import sys
import tempfile
import time

FINDING = re.compile(r"^(.*?):(\d+):(\d+): cx-check: (R\d): (.*) \u2014 fix: (.+)$")
MARKER = re.compile(r"(?:/\*|//)\s*expect:\s*(R\d(?:\s*,\s*R\d)*)")


def run(argv):
    start = time.monotonic()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    return p.returncode, p.stdout, p.stderr, time.monotonic() - start


def findings(out):
    found = collections.Counter()
    for line in out.splitlines():
        m = FINDING.match(line)
        if not m:
            raise SystemExit("not a finding line: %r" % line)
        found[(os.path.realpath(m.group(1)), int(m.group(2)), m.group(4))] += 1
    return found


def bad(tool, files):
    expected = collections.Counter()
    for f in files:
        with open(f) as fh:
            for n, line in enumerate(fh, 1):
                m = MARKER.search(line)
                if m:
                    for rule in re.split(r"\s*,\s*", m.group(1)):
                        expected[(os.path.realpath(f), n, rule)] += 1
    per_rule = collections.Counter(rule for _, _, rule in expected.elements())
    for rule in ("R1", "R2", "R3"):
        if per_rule[rule] < 3:
            raise SystemExit("the known-bad set has %d cases of %s (at least 3 wanted)"
                             % (per_rule[rule], rule))
    rc, out, err, secs = run([tool] + files)
    sys.stdout.write(out)
    sys.stderr.write(err)
    if rc != 1:
        raise SystemExit("cx-check exited %d over the known-bad files (1 wanted)" % rc)
    found = findings(out)
    missing = expected - found
    extra = found - expected
    for f, line, rule in sorted(missing.elements()):
        print("MISSING %s:%d: %s" % (f, line, rule))
    for f, line, rule in sorted(extra.elements()):
        print("EXTRA   %s:%d: %s" % (f, line, rule))
    if missing or extra:
        raise SystemExit("%d expected findings missing, %d unexpected" %
                         (sum(missing.values()), sum(extra.values())))
    print("%d known-bad findings (%s), each on its line with its rule; %.1f s" % (
        sum(expected.values()), ", ".join("%s %d" % kv for kv in sorted(per_rule.items())),
        secs))


def clean(argv, what):
    rc, out, err, secs = run(argv)
    sys.stdout.write(out)
    sys.stderr.write(err)
    if rc != 0 or out.strip():
        raise SystemExit("cx-check exited %d with findings over %s (none wanted)" % (rc, what))
    print("no findings over %s; %.1f s" % (what, secs))


def errors(tool):
    with tempfile.TemporaryDirectory() as d:
        broken = os.path.join(d, "broken.c")
        with open(broken, "w") as f:
            f.write("#include <cx/cx.h>\nint f(void) { cx_try { return undeclared; } "
                    "cx_finally { } return 0; }\n")
        missing_header = os.path.join(d, "missing.c")
        with open(missing_header, "w") as f:
            f.write("#include <no/such/header.h>\nint g(void) { return 0; }\n")
        cases = [
            ([tool, broken], "undeclared", "a file that does not compile"),
            ([tool, missing_header], "header.h", "a missing header"),
            ([tool, os.path.join(d, "absent.c")], "no such file", "a file that is not there"),
            ([tool], "no files", "no file at all"),
            ([tool, "-p", os.path.join(d, "none.json")], "cannot read", "a missing database"),
        ]
        for argv, needle, what in cases:
            rc, out, err, _ = run(argv)
            if rc != 2 or needle not in err:
                raise SystemExit("%s: exit %d (2 wanted), stderr %r" % (what, rc, err))
        print("%d usage and parse errors each exit 2 and say why" % len(cases))


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    mode, tool = argv[0], argv[1]
    if mode == "bad":
        bad(tool, argv[2:])
    elif mode == "good":
        clean([tool] + argv[2:], "the known-good files")
    elif mode == "db":
        clean([tool, "-p", argv[2]] + argv[3:], ", ".join(argv[3:]))
    elif mode == "errors":
        errors(tool)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
