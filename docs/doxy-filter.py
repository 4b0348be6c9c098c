#!/usr/bin/env python3
"""Doxygen input filter for cx's headers.

The headers follow STYLE.md: plain C comments, one above each declaration
("a header is the manual").  This filter lets Doxygen read them as they are:
  - the file's opening comment becomes the @file description;
  - a comment that starts a line becomes a /** doc comment for what follows;
  - a comment after code on the same line documents that member (/**<).
Line numbers are kept, so Doxygen's warnings point at the real lines.
Markdown files pass through unchanged."""
import re
import sys

path = sys.argv[1]
with open(path, encoding="utf-8") as f:
    text = f.read()

def markdown(text, stem):
    """The guides are GitHub Markdown; Doxygen reads most of it, except that
    it takes @word for a command and needs explicit labels for in-page links.
    Headings get GitHub's anchors as labels, prefixed by the file's name
    (Doxygen's labels are global), and links to them follow."""
    out, fenced, seen = [], False, {}
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            line = re.sub(r"(?<![\\\w])@(?=[A-Za-z])", r"\\@", line)
            m = re.match(r"^(#{2,6})\s+(.*?)\s*$", line)
            if m and "{#" not in line:
                slug = re.sub(r"[^\w\- ]", "", m.group(2).lower()).replace(" ", "-")
                n = seen.get(slug, 0)
                seen[slug] = n + 1
                if n:
                    slug = "%s-%d" % (slug, n)
                line = "%s %s {#%s-%s}" % (m.group(1), m.group(2), stem, slug)
            line = re.sub(r"\]\(#([\w\-]+)\)", lambda m: "](#%s-%s)" % (stem, m.group(1)), line)
        out.append(line)
    return "\n".join(out)


if path.endswith(".md"):
    stem = re.sub(r"\W", "-", path.rsplit("/", 1)[-1][:-3].lower())
    sys.stdout.write(markdown(text, stem))
    sys.exit(0)
if not path.endswith(".h"):
    sys.stdout.write(text)
    sys.exit(0)

def escape(text):
    """Comment text is prose, not Doxygen markup: @name and <name> are
    printed as written."""
    return re.sub(r"([@<])(?=[A-Za-z/])", r"\\\1", text)


def transform(line, in_comment):
    """Escapes the comment parts of one line; returns it and whether a block
    comment is still open at its end."""
    out, pos = "", 0
    while pos < len(line):
        if in_comment:
            end = line.find("*/", pos)
            if end < 0:
                return out + escape(line[pos:]), True
            out += escape(line[pos:end]) + "*/"
            pos, in_comment = end + 2, False
        else:
            start = line.find("/*", pos)
            if start < 0:
                return out + line[pos:], False
            out += line[pos:start + 2]
            pos, in_comment = start + 2, True
    return out, in_comment


out = []
first = True
in_comment = False
for line in text.split("\n"):
    was_in_comment = in_comment
    line, in_comment = transform(line, in_comment)
    if not was_in_comment:
        m = re.match(r"^(\s*)/\*(?![*!])(.*)$", line)
        if m:
            if first:
                line = m.group(1) + "/** @file" + m.group(2)
            else:
                line = m.group(1) + "/**" + m.group(2)
        else:
            # A trailing comment after code documents the member on that line.
            line = re.sub(r"(\S.*?)/\*(?![*!])", r"\1/**<", line, count=1)
        first = False
    out.append(line)
sys.stdout.write("\n".join(out))
