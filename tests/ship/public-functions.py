#!/usr/bin/env python3
"""Prints the public functions the given cx headers declare, one per line:
every CX_API declaration with a parameter list, less the cx__ machinery the
macros expand to.  Comments and attributes are removed first, so a prototype
spread over lines or marked CX__NORETURN is read whole.
  usage: public-functions.py <header>..."""
import re
import sys

names = set()
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        src = f.read()
    src = re.sub(r"/\*.*?\*/", " ", src, flags=re.S)
    src = re.sub(r"//[^\n]*", " ", src)
    src = re.sub(r"__attribute__\s*\(\(.*?\)\)", " ", src)
    for decl in re.finditer(r"\bCX_API\b([^;{]*)[;{]", src):
        m = re.search(r"(\w+)\s*\(", decl.group(1))
        if m and m.group(1).startswith("cx_") and not m.group(1).startswith("cx__"):
            names.add(m.group(1))
for name in sorted(names):
    print(name)
