#!/usr/bin/env python3
"""Differential tester: random scenarios run under CPython and under cx.

Each scenario is a small program in a scenario language (nested with blocks
over class managers, generator managers, ExitStacks and suppress; using and
defer declarations, cx_using and cx_defer, whose scope is the rest of their
block; try / except / else / finally; raise, raise from, bare raise, return,
break, continue).  It
is rendered twice: as Python source run by this very interpreter, and as a
token stream that cx-diff (tests/diff/interp.c, a C interpreter built on the
real cx constructs) executes.  Both print an event trace; any difference is
a divergence, printed with the scenario and both traces.

    difftest.py --interp build/tests/diff/cx-diff --n 2000 --seed 1
    difftest.py --interp ... --n 100000 --seed 7 --brief --stats   # make diff
    difftest.py --interp ... --n 1 --seed 1 --first 417 --show   # one scenario
    difftest.py --write-faults tests/reliability/fault_scenarios.txt
        # the allocation-fault tests' scenarios (Gen(faults=True), seed "faults");
        # --faults runs that subset against CPython instead of the full language
    difftest.py --write-faults tests/reliability/fault_scenarios_any.txt --any
        # the full language's set for the same tests (seed "faults-any")

Scenario i of seed S is the same on every machine: its generator is seeded
with the string "S:i".  Batches: one Python exec and one cx-diff process per
--batch scenarios.
"""
import argparse
import difflib
import os
import random
import subprocess
import sys
import tempfile
import time

# Declarations: the rest of their block is their scope.
DECLS = ("using", "using_stack", "defer")
RAISE_TYPES = ["ValueError", "TypeError", "KeyError", "IndexError",
               "RuntimeError", "OSError"]
CATCH_TYPES = RAISE_TYPES + ["LookupError", "Exception", "any"]


# ---------------------------------------------------------------- generation

def dynamic_yields(stmts):
    """How many times a generator body can yield at most (loops run their
    rounds; a nested generator manager's body, a deferred call's and a
    callback's are other functions)."""
    n = 0
    for s in stmts:
        k = s[0]
        if k == "yield":
            n += 1
        elif k == "loop":
            n += s[2] * dynamic_yields(s[1])
        elif k in ("with", "stack"):
            n += dynamic_yields(s[-1])
        elif k == "try":
            n += dynamic_yields(s[1]) + sum(dynamic_yields(hb) for _t, _v, hb in s[2])
            n += dynamic_yields(s[3] or []) + dynamic_yields(s[4] or [])
    return n


def loops_once(stmts):
    """stmts with every loop that holds a yield run for one round."""
    out = []
    for s in stmts:
        k = s[0]
        if k == "loop":
            body = loops_once(s[1])
            s = ("loop", body, 1 if dynamic_yields(body) else s[2])
        elif k in ("with", "stack"):
            s = s[:-1] + (loops_once(s[-1]),)
        elif k == "try":
            s = ("try", loops_once(s[1]), [(t, v, loops_once(hb)) for t, v, hb in s[2]],
                 s[3] and loops_once(s[3]), s[4] and loops_once(s[4]))
        out.append(s)
    return out


class Gen:
    """Random scenario trees.  Context flags keep the language to what C and
    Python express identically (see docs/testing.md):
    - return only where no try encloses it in the same function (a cx_try
      left by return cannot run its finally clause: cx reports misuse);
    - break only inside a loop, in with bodies, try bodies and handlers,
      never in else/finally (break there leaves the cx_try statement);
    - yield only in generator-manager bodies, bare raise / raise from /
      raise e only inside an except clause of the same function;
    - a generator body yields at most twice as it runs (a loop that holds a
      yield then runs once): a third yield lets a generator ignore the
      GeneratorExit of close(), and CPython then closes it a second time
      when the garbage collector frees it, an event C has no counterpart
      of (cx_gen_close frees the generator at once: docs/generators.md);
    - break and continue in the same places (loops run one or two rounds);
    - using / defer (cx_using, cx_defer) anywhere: in Python the rest of the
      block becomes the body of `with U(manager):` (U makes a suppressing
      exit raise RuntimeError, as cx_using does) or of `try: ... finally:`
      around the deferred call; "fb" counts CPython's statically nested
      blocks, at most 20 in a function, so that the extra nesting stays
      legal Python.

    With faults=True it writes the subset the allocation-fault tests run
    (tests/reliability/fault_scenarios.txt), in which a MemoryError raised
    anywhere must be the error that escapes: nothing catches or suppresses
    it (no except Exception / bare except, no exit or push that suppresses
    everything, no suppress or ST of Exception), and nothing raises while it
    may be in flight (no exit or push that raises; finally clauses,
    ExitStack callbacks and deferred calls neither raise nor use managers that can: no raise
    statement, no class manager whose enter raises, no generator manager)."""

    def __init__(self, rng, faults=False):
        self.r = rng
        self.n = 0
        self.budget = rng.randint(6, 30)
        self.faults = faults
        # What except clauses, suppress and ST may name.
        self.catch = CATCH_TYPES[:-2] if faults else CATCH_TYPES
        self.suppressible = CATCH_TYPES[:-2] if faults else CATCH_TYPES[:-1]

    def fresh(self, p):
        self.n += 1
        return "%s%d" % (p, self.n)

    def msg(self):
        return self.fresh("m")

    def rtype(self):
        return self.r.choice(RAISE_TYPES)

    def block(self, ctx, depth, lo=0, hi=3):
        out = []
        n = self.r.randint(lo, hi)
        while len(out) < n:
            if self.budget <= 0:
                break
            s = self.stmt(ctx, depth)
            out.append(s)
            if s[0] in ("raise", "raise_from", "raise_from_none", "reraise",
                        "throw", "return", "break", "continue"):
                break
            if s[0] in DECLS:
                # The rest of the block is the body of a Python with / try
                # (one nesting level deeper), and of an ExitStack for "US".
                ctx = dict(ctx, fb=ctx["fb"] + 1)
                if s[0] == "using_stack":
                    ctx["stack"] = s[1]
                if len(out) == n and self.r.random() < 0.7:
                    n += 1  # mostly, something in its scope
        return out

    def mgr(self, ctx, depth):
        k = self.r.random()
        quiet = ctx.get("noraise")
        if k < 0.45:
            enter = None
            if self.r.random() < 0.12 and not quiet:
                enter = (self.rtype(), self.msg())
            exit_ = self.exit_action()
            return ("cls", self.fresh("a"), enter, exit_)
        if k < 0.85 and not quiet:
            return ("gen", self.fresh("g"), self.genbody(depth))
        types = self.r.sample(self.suppressible, self.r.randint(1, 3))
        return ("sup", types)

    def exit_action(self):
        """P: pass, S: suppress, ("ST", T): suppress instances of T,
        (T, msg): raise.  In fault mode only P and ST (not of Exception)."""
        x = self.r.random()
        if self.faults:
            if x < 0.55:
                return "P"
            return ("ST", self.r.choice(self.suppressible))
        if x < 0.45:
            return "P"
        if x < 0.65:
            return "S"
        if x < 0.8:
            return ("ST", self.r.choice(CATCH_TYPES[:-1]))
        return (self.rtype(), self.msg())

    def genbody(self, depth):
        # How many yields: mostly one, sometimes none or two.
        want = self.r.choices([0, 1, 2], [1, 10, 1])[0]
        gctx = {"gen": want, "try": False, "brk": False, "stack": None,
                "exc": None, "yields": [0], "fb": 0}
        body = [("log", self.fresh("gs"))] + self.block(gctx, depth + 1, 0, 3)
        while gctx["yields"][0] < want:
            body.insert(self.r.randint(1, len(body)), ("yield",))
            gctx["yields"][0] += 1
        if dynamic_yields(body) > 2:
            body = loops_once(body)
        return body

    def handler_ctx(self, ctx, var):
        c = dict(ctx)
        c["exc"] = var
        c["try"] = True
        c["fb"] = ctx["fb"] + 3
        return c

    def fn_ctx(self):
        """A function of its own (ExitStack callback, deferred call)."""
        c = {"gen": 0, "try": False, "brk": False, "stack": None,
             "exc": None, "yields": [0], "fb": 0}
        if self.faults:
            c["noraise"] = True
        return c

    def stmt(self, ctx, depth):
        self.budget -= 1
        r = self.r
        choices = [("log", 2), ("raise", 2 if depth else 1)]
        if depth < 4:
            choices += [("with", 6), ("try", 4), ("stack", 3)]
            if ctx["brk"] is False and not ctx.get("inloop"):
                choices.append(("loop", 2))
        if not ctx["try"]:
            choices.append(("return", 1))
        if ctx["brk"]:
            choices += [("break", 2), ("continue", 1)]
        # cx_using / cx_defer, so that CPython's 20 statically nested blocks
        # hold whatever nests inside later (at most 3 per level left).
        if ctx["fb"] + 1 + 3 * max(0, 4 - depth) <= 19:
            choices += [("using", 4), ("defer", 1)]
            if depth < 4:
                choices.append(("using_stack", 1))
        if ctx.get("noraise"):
            choices = [c for c in choices if c[0] != "raise"]
        elif ctx["exc"]:
            choices += [("raise_from", 1), ("raise_from_none", 1), ("reraise", 2),
                        ("throw", 1)]
        if ctx["stack"]:
            choices += [("enter_ctx", 3), ("callback", 2), ("push", 2)]
        if ctx["gen"] and ctx["yields"][0] < ctx["gen"] and not ctx.get("noraise"):
            choices.append(("yield", 5))
        kind = r.choices([c[0] for c in choices], [c[1] for c in choices])[0]
        if kind == "log":
            return ("log", self.fresh("l"))
        if kind == "raise":
            return ("raise", self.rtype(), self.msg())
        if kind in ("raise_from", "raise_from_none"):
            return (kind, self.rtype(), self.msg(), ctx["exc"])
        if kind == "reraise":
            return ("reraise",)
        if kind == "throw":
            return ("throw", ctx["exc"])
        if kind == "return":
            return ("return",)
        if kind == "break":
            return ("break",)
        if kind == "continue":
            return ("continue",)
        if kind == "using":
            return ("using", self.mgr(ctx, depth))
        if kind == "using_stack":
            return ("using_stack", self.fresh("st"))
        if kind == "defer":
            return ("defer", self.fresh("d"), self.block(self.fn_ctx(), depth + 2, 0, 2))
        if kind == "yield":
            ctx["yields"][0] += 1
            return ("yield",)
        if kind == "loop":
            c = dict(ctx, brk=True, inloop=True, fb=ctx["fb"] + 1)
            rounds = r.choice([1, 2])
            return ("loop", self.block(c, depth + 1, 1, 3), rounds)
        if kind == "with":
            m = self.mgr(ctx, depth)
            return ("with", m, self.block(dict(ctx, fb=ctx["fb"] + 1), depth + 1, 0, 3))
        if kind == "stack":
            c = dict(ctx, stack=self.fresh("st"), fb=ctx["fb"] + 1)
            return ("stack", c["stack"], self.block(c, depth + 1, 1, 4))
        if kind == "enter_ctx":
            return ("enter_ctx", ctx["stack"], self.mgr(ctx, depth))
        if kind == "callback":
            return ("callback", ctx["stack"], self.fresh("c"),
                    self.block(self.fn_ctx(), depth + 2, 0, 2))
        if kind == "push":
            return ("push", ctx["stack"], self.fresh("p"), self.exit_action())
        if kind == "try":
            tctx = dict(ctx, **{"try": True})
            body = self.block(dict(tctx, fb=ctx["fb"] + 2), depth + 1, 0, 3)
            handlers = []
            for _ in range(r.choices([0, 1, 2, 3], [2, 6, 3, 1])[0]):
                var = self.fresh("e")
                handlers.append((r.choice(self.catch), var,
                                 self.block(self.handler_ctx(tctx, var), depth + 1, 0, 2)))
            nctx = dict(tctx, brk=False, fb=ctx["fb"] + 1)
            els = None
            if handlers and r.random() < 0.3:
                els = self.block(nctx, depth + 1, 0, 2)
            fin = None
            if not handlers or r.random() < 0.4:
                fctx = dict(nctx, noraise=True) if self.faults else nctx
                fin = self.block(fctx, depth + 1, 0, 2)
            return ("try", body, handlers, els, fin)
        raise AssertionError(kind)

    def scenario(self):
        ctx = {"gen": 0, "try": False, "brk": False, "stack": None, "exc": None,
               "yields": [0], "fb": 0}
        return self.block(ctx, 0, 2, 4)


# ------------------------------------------------------------- Python output

PRELUDE = r'''
import contextlib, sys
from contextlib import contextmanager, suppress
class ExitStack(contextlib.ExitStack):
    # CPython 3.11's ExitStack.__exit__, gh-102201 fixed: when nothing was
    # being handled at entry, an entry's error whose chain ends in None gets
    # the error the entry was given as its context, as nested with statements
    # would (3.11 leaves it None and the earlier error is lost).
    def __exit__(self, *exc_details):
        received_exc = exc_details[0] is not None
        frame_exc = sys.exc_info()[1]
        def fix_context(new_exc, old_exc):
            while True:
                ctx = new_exc.__context__
                if ctx is old_exc:
                    return
                if ctx is None:
                    if frame_exc is None:
                        new_exc.__context__ = old_exc
                    return
                if ctx is frame_exc:
                    break
                new_exc = ctx
            new_exc.__context__ = old_exc
        suppressed_exc = pending_raise = False
        while self._exit_callbacks:
            is_sync, cb = self._exit_callbacks.pop()
            try:
                if cb(*exc_details):
                    suppressed_exc = True
                    pending_raise = False
                    exc_details = (None, None, None)
            except BaseException:
                new_exc_details = sys.exc_info()
                fix_context(new_exc_details[1], exc_details[1])
                pending_raise = True
                exc_details = new_exc_details
        if pending_raise:
            fixed_ctx = exc_details[1].__context__
            try:
                raise exc_details[1]
            except BaseException:
                exc_details[1].__context__ = fixed_ctx
                raise
        return received_exc and suppressed_exc
OUT = []
def ev(*a):
    OUT.append(' '.join(a))
def tname(t):
    return t.__name__ if t is not None else 'None'
class M:
    def __init__(self, name, enter, exit_):
        self.name, self.enter_, self.exit_ = name, enter, exit_
    def __enter__(self):
        ev('enter', self.name)
        if self.enter_:
            raise self.enter_[0](self.enter_[1])
    def __exit__(self, t, v, tb):
        ev('exit', self.name, tname(t))
        return act(self.exit_, t)
FLAGS = set()  # what happened in the scenario running (for the statistics)
class U:
    # cx_using (docs in include/cx/with.h): the rest of the block is the
    # body of a with over U(m).  A manager cannot suppress under cx_using:
    # when its exit asks to, its exit has run and cx raises RuntimeError
    # instead, the error in flight as its context; raised here from inside
    # __exit__, where that error is being handled, it chains the same way.
    def __init__(self, m, name):
        self.m, self.name = m, name
    def __enter__(self):
        try:
            return self.m.__enter__()
        except BaseException:
            FLAGS.add('enter raised')
            raise
    def __exit__(self, t, v, tb):
        FLAGS.add('exit given an error' if t is not None else 'exit given None')
        try:
            suppress = self.m.__exit__(t, v, tb)
        except BaseException:
            FLAGS.add('exit raised')
            raise
        if suppress and t is not None:
            FLAGS.add('suppression refused')
            raise RuntimeError('cx_using: manager %s asked to suppress %s, which cx_using '
                               'cannot do (use cx_with to suppress)' % (self.name, t.__name__))
        return False
def PX(name, a):
    def f(t, v, tb):
        ev('pexit', name, tname(t))
        return act(a, t)
    return f
def act(a, t):
    if a == 'S':
        return True
    if a == 'P':
        return False
    if a[0] == 'ST':
        return t is not None and issubclass(t, a[1])
    raise a[0](a[1])
def emsg(e):
    return str(e.args[0]) if e.args else ''
def chain(e):
    parts, seen = [], set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        parts.append('%s(%s)' % (type(e).__name__, emsg(e)))
        if e.__cause__ is not None:
            link, e = '<cause', e.__cause__
        elif e.__context__ is not None and not e.__suppress_context__:
            link, e = '<context', e.__context__
        else:
            link, e = None, None
        if e is not None and id(e) not in seen:  # a cycle ends the print
            parts.append(link)
    return ' '.join(parts)
STATS = {}
def run(i, f):
    OUT.append('### %d' % i)
    FLAGS.clear()
    STATS[i] = FLAGS
    try:
        r = f()
        OUT.append('end returned' if r == 'R' else 'end completed')
    except BaseException as e:
        OUT.append('end raised ' + chain(e))
    globals()['FLAGS'] = set()
'''


def py_mgr(m, emit, ind):
    if m[0] == "cls":
        enter = "None" if m[2] is None else "(%s, %r)" % m[2]
        ex = py_act(m[3])
        return "M(%r, %s, %s)" % (m[1], enter, ex)
    if m[0] == "gen":
        emit(ind, "def %s():" % m[1])
        py_block(m[2], emit, ind + 1)
        emit(ind + 1, "if False: yield")
        return "contextmanager(%s)()" % m[1]
    return "suppress(%s)" % ", ".join(t if t != "any" else "BaseException" for t in m[1])


def py_act(a):
    if isinstance(a, str):
        return repr(a)
    if a[0] == "ST":
        return "('ST', %s)" % a[1]
    return "(%s, %r)" % a


# The type name cx gives each kind of manager (in cx_using's error).
CX_MANAGER_NAMES = {"cls": "diff", "gen": "contextmanager", "sup": "suppress"}


def py_block(stmts, emit, ind):
    if not stmts:
        emit(ind, "pass")
    for k, s in enumerate(stmts):
        if s[0] == "using":
            emit(ind, "with U(%s, %r):" % (py_mgr(s[1], emit, ind), CX_MANAGER_NAMES[s[1][0]]))
            py_block(stmts[k + 1:], emit, ind + 1)
            return
        if s[0] == "using_stack":
            emit(ind, "with U(ExitStack(), 'ExitStack') as %s:" % s[1])
            py_block(stmts[k + 1:], emit, ind + 1)
            return
        if s[0] == "defer":
            emit(ind, "def %s():" % s[1])
            emit(ind + 1, "ev('defer', %r)" % s[1])
            py_block(s[2], emit, ind + 1)
            emit(ind, "try:")
            py_block(stmts[k + 1:], emit, ind + 1)
            emit(ind, "finally:")
            emit(ind + 1, "%s()" % s[1])
            return
        py_stmt(s, emit, ind)


def py_stmt(s, emit, ind):
    k = s[0]
    if k == "log":
        emit(ind, "ev('log', %r)" % s[1])
    elif k == "raise":
        emit(ind, "raise %s(%r)" % (s[1], s[2]))
    elif k == "raise_from":
        emit(ind, "raise %s(%r) from %s" % (s[1], s[2], s[3]))
    elif k == "raise_from_none":
        emit(ind, "raise %s(%r) from None" % (s[1], s[2]))
    elif k == "reraise":
        emit(ind, "raise")
    elif k == "throw":
        emit(ind, "raise %s" % s[1])
    elif k == "return":
        emit(ind, "return 'R'")
    elif k == "break":
        emit(ind, "break")
    elif k == "continue":
        emit(ind, "continue")
    elif k == "yield":
        emit(ind, "yield")
    elif k == "loop":
        emit(ind, "for _ in range(%d):" % s[2])
        py_block(s[1], emit, ind + 1)
    elif k == "with":
        emit(ind, "with %s:" % py_mgr(s[1], emit, ind))
        py_block(s[2], emit, ind + 1)
    elif k == "stack":
        emit(ind, "with ExitStack() as %s:" % s[1])
        py_block(s[2], emit, ind + 1)
    elif k == "enter_ctx":
        emit(ind, "%s.enter_context(%s)" % (s[1], py_mgr(s[2], emit, ind)))
    elif k == "callback":
        emit(ind, "def %s():" % s[2])
        emit(ind + 1, "ev('cb', %r)" % s[2])
        py_block(s[3], emit, ind + 1)
        emit(ind, "%s.callback(%s)" % (s[1], s[2]))
    elif k == "push":
        emit(ind, "%s.push(PX(%r, %s))" % (s[1], s[2], py_act(s[3])))
    elif k == "try":
        _, body, handlers, els, fin = s
        emit(ind, "try:")
        py_block(body, emit, ind + 1)
        for t, var, hb in handlers:
            emit(ind, "except %s as %s:" % ("BaseException" if t == "any" else t, var))
            py_block(hb, emit, ind + 1)
        if els is not None:
            emit(ind, "else:")
            py_block(els, emit, ind + 1)
        if fin is not None:
            emit(ind, "finally:")
            py_block(fin, emit, ind + 1)
    else:
        raise AssertionError(k)


def python_source(i, sc):
    lines = []

    def emit(ind, text):
        lines.append("    " * ind + text)
    emit(0, "def s%d():" % i)
    py_block(sc, emit, 1)
    emit(0, "run(%d, s%d)" % (i, i))
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------- token output

def tok_mgr(m, out):
    if m[0] == "cls":
        out += ["MC", m[1]]
        out += ["0"] if m[2] is None else ["1", m[2][0], m[2][1]]
        tok_act(m[3], out)
    elif m[0] == "gen":
        out += ["MG", m[1]]
        tok_block(m[2], out)
    else:
        out += ["MS", str(len(m[1]))] + m[1]


def tok_act(a, out):
    if isinstance(a, str):
        out.append(a)
    elif a[0] == "ST":
        out += ["ST", a[1]]
    else:
        out += ["X", a[0], a[1]]


def tok_block(stmts, out):
    out.append("{")
    for s in stmts:
        tok_stmt(s, out)
    out.append("}")


def tok_stmt(s, out):
    k = s[0]
    if k == "log":
        out += ["L", s[1]]
    elif k == "raise":
        out += ["R", s[1], s[2]]
    elif k == "raise_from":
        out += ["F", s[1], s[2]]
    elif k == "raise_from_none":
        out += ["N", s[1], s[2]]
    elif k == "reraise":
        out.append("RR")
    elif k == "throw":
        out.append("TH")
    elif k == "return":
        out.append("RET")
    elif k == "break":
        out.append("BRK")
    elif k == "continue":
        out.append("CONT")
    elif k == "using":
        out.append("U")
        tok_mgr(s[1], out)
    elif k == "using_stack":
        out += ["US", s[1]]
    elif k == "defer":
        out += ["D", s[1]]
        tok_block(s[2], out)
    elif k == "yield":
        out.append("Y")
    elif k == "loop":
        out.append("LOOP" if s[2] == 1 else "LOOP2")
        tok_block(s[1], out)
    elif k == "with":
        out.append("W")
        tok_mgr(s[1], out)
        tok_block(s[2], out)
    elif k == "stack":
        out += ["ES", s[1]]
        tok_block(s[2], out)
    elif k == "enter_ctx":
        out.append("EC")
        tok_mgr(s[2], out)
    elif k == "callback":
        out += ["CB", s[2]]
        tok_block(s[3], out)
    elif k == "push":
        out += ["PU", s[2]]
        tok_act(s[3], out)
    elif k == "try":
        _, body, handlers, els, fin = s
        out.append("TRY")
        tok_block(body, out)
        out.append(str(len(handlers)))
        for t, _var, hb in handlers:
            out.append(t)
            tok_block(hb, out)
        for b in (els, fin):
            if b is None:
                out.append("0")
            else:
                out.append("1")
                tok_block(b, out)
    else:
        raise AssertionError(k)


def tokens(sc):
    out = []
    tok_block(sc, out)
    return " ".join(out)


# ------------------------------------------------------------------ running

def scenario(seed, i, faults=False):
    return Gen(random.Random("%s:%d" % (seed, i)), faults).scenario()


# The allocation-fault scenario set (tests/reliability/test_alloc_faults.c):
# the first FAULT_COUNT fault-mode scenarios of seed FAULT_SEED whose tokens
# are at least FAULT_MIN_CHARS long (shorter ones make few allocations).
FAULT_SEED = "faults"
FAULT_COUNT = 1000
FAULT_MIN_CHARS = 80
# --any: the full language (exits that suppress everything or raise,
# catch-all handlers, raises during cleanup), where a MemoryError may be
# swallowed or replaced, so the tests ask less of it.
FAULT_ANY_SEED = "faults-any"
FAULT_ANY_COUNT = 300
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def write_faults(path, seed, count, any_scenario=False):
    picked, i = [], 0
    while len(picked) < count:
        t = tokens(scenario(seed, i, faults=not any_scenario))
        if len(t) >= FAULT_MIN_CHARS:
            picked.append("S %d %s\n" % (i, t))
        i += 1
    words = " ".join(picked).split()
    kinds = ["W", "MC", "MG", "MS", "ES", "EC", "CB", "PU", "TRY", "R", "F", "N",
             "RR", "TH", "RET", "BRK", "CONT", "LOOP", "LOOP2", "Y", "P", "ST", "U", "US", "D"]
    missing = [k for k in kinds if k not in words]
    if missing:
        sys.exit("difftest: the fault set lacks %s" % " ".join(missing))
    with open(path, "w") as f:
        if any_scenario:
            f.write("# Scenarios for the allocation-fault tests (tests/reliability/test_alloc_faults.c),\n"
                    "# written by: tests/diff/difftest.py --write-faults %s --any --seed %s --n %d\n"
                    "# Gen() of seed %r, tokens of at least %d characters: the full language,\n"
                    "# where a MemoryError may be caught, suppressed or replaced, so a failed\n"
                    "# allocation must only let the run reach its end, leaking nothing.\n"
                    "# Regenerate it whenever the generator changes.\n"
                    % (os.path.relpath(os.path.abspath(path), ROOT), seed, count, seed,
                       FAULT_MIN_CHARS))
        else:
            f.write("# Scenarios for the allocation-fault tests (tests/reliability/test_alloc_faults.c),\n"
                    "# written by: tests/diff/difftest.py --write-faults %s --seed %s --n %d\n"
                    "# Gen(faults=True) of seed %r, tokens of at least %d characters: no error\n"
                    "# type catches or suppresses MemoryError and nothing raises while it may be\n"
                    "# in flight, so a failed allocation must end the run with a MemoryError.\n"
                    "# Regenerate it whenever the generator changes.\n"
                    % (os.path.relpath(os.path.abspath(path), ROOT), seed, count, seed,
                       FAULT_MIN_CHARS))
        f.writelines(picked)
    print("difftest: wrote %d fault scenarios (ids 0..%d of seed %s) to %s"
          % (count, i - 1, seed, path))


def python_traces(batch):
    src = PRELUDE + "".join(python_source(i, sc) for i, sc in batch)
    env = {"__name__": "scenarios"}
    exec(compile(src, "<scenarios>", "exec"), env)
    return split_traces(env["OUT"]), env["STATS"]


def features(sc):
    """The places and shapes of the scenario's cx_using / cx_defer
    declarations, for the campaign's statistics."""
    found = set()

    def walk(stmts, where, loop_exits=False):
        decls = [s for s in stmts if s[0] in DECLS]
        usings = [s for s in stmts if s[0] in ("using", "using_stack")]
        if usings:
            found.add("using")
            found.add("using in " + where)
        if len(usings) >= 2:
            found.add("several usings in one block")
        if usings and len(decls) > len(usings):
            found.add("using and defer in one block")
        if len(decls) >= 4:
            found.add("4+ declarations in one block")
        if decls:
            found.update("defer" for s in decls if s[0] == "defer")
            first = stmts.index(decls[0])
            if loop_exits and any(leaves_loop(s) for s in stmts[first + 1:]):
                found.add("break/continue out of a declaration's scope")
        for s in stmts:
            k = s[0]
            if k == "using":
                found.add("using over " + {"cls": "a class manager", "gen": "a generator manager",
                                           "sup": "suppress"}[s[1][0]])
                if s[1][0] == "cls" and s[1][2] is not None:
                    found.add("using whose enter raises")
                if s[1][0] == "cls" and not isinstance(s[1][3], str) and s[1][3][0] != "ST":
                    found.add("using whose exit raises")
                if s[1][0] == "cls" and (s[1][3] == "S" or s[1][3][0] == "ST"):
                    found.add("using whose exit suppresses")
                mgr_walk(s[1])
            elif k == "using_stack":
                found.add("using over an ExitStack")
            elif k == "defer":
                walk(s[2], "a deferred call")
            elif k == "loop":
                walk(s[1], "a loop body", True)
            elif k == "with":
                mgr_walk(s[1])
                walk(s[2], "a with body", loop_exits)
            elif k == "stack":
                walk(s[2], "an ExitStack body", loop_exits)
            elif k == "enter_ctx":
                mgr_walk(s[2])
            elif k == "callback":
                walk(s[3], "an ExitStack callback")
            elif k == "try":
                _, body, handlers, els, fin = s
                walk(body, "a try body", loop_exits)
                for _t, _v, hb in handlers:
                    walk(hb, "an except clause", loop_exits)
                if els is not None:
                    walk(els, "an else clause")
                if fin is not None:
                    walk(fin, "a finally clause")

    def mgr_walk(m):
        if m[0] == "gen":
            walk(m[2], "a generator manager's body")

    def leaves_loop(s):
        if s[0] in ("break", "continue"):
            return True
        if s[0] == "with" or s[0] == "stack":
            return any(leaves_loop(x) for x in s[-1])
        if s[0] == "try":
            return any(leaves_loop(x) for x in s[1]) or any(
                leaves_loop(x) for _t, _v, hb in s[2] for x in hb)
        return False

    walk(sc, "a function body")
    return found


def split_traces(lines):
    traces, cur = {}, None
    for line in lines:
        if line.startswith("### "):
            cur = int(line[4:])
            traces[cur] = []
        elif cur is not None:
            traces[cur].append(line)
    return traces


def c_traces(interp, batch, wrapper):
    with tempfile.NamedTemporaryFile("w", suffix=".scn", delete=False) as f:
        for i, sc in batch:
            f.write("S %d %s\n" % (i, tokens(sc)))
        path = f.name
    try:
        p = subprocess.run(wrapper + [interp, path], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    finally:
        os.unlink(path)
    return split_traces(p.stdout.splitlines()), p.returncode, p.stderr


def show(i, sc, py, c):
    print("=== scenario %d" % i)
    print(python_source(i, sc), end="")
    print("--- tokens\n" + tokens(sc))
    print("--- python")
    print("\n".join(py) if py is not None else "(none)")
    print("--- cx")
    print("\n".join(c) if c is not None else "(none: cx-diff stopped before it)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--interp")
    ap.add_argument("--n", type=int, help="how many scenarios (default 2000; "
                    "%d with --write-faults)" % FAULT_COUNT)
    ap.add_argument("--seed", help="default 1 (%s with --write-faults)" % FAULT_SEED)
    ap.add_argument("--faults", action="store_true",
                    help="generate the allocation-fault subset (Gen(faults=True))")
    ap.add_argument("--write-faults", metavar="PATH",
                    help="write the allocation-fault scenario set to PATH and exit")
    ap.add_argument("--any", action="store_true",
                    help="with --write-faults: the full language's set (seed %s, %d scenarios)"
                    % (FAULT_ANY_SEED, FAULT_ANY_COUNT))
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--batch", type=int, default=2000)
    ap.add_argument("--show", action="store_true", help="print every scenario")
    ap.add_argument("--max-report", type=int, default=5)
    ap.add_argument("--brief", action="store_true",
                    help="one line per divergence: the differing trace lines")
    ap.add_argument("--wrapper", default="", help="e.g. 'valgrind -q'")
    ap.add_argument("--stats", action="store_true",
                    help="print how many scenarios have each cx_using / cx_defer shape")
    a = ap.parse_args()
    sys.setrecursionlimit(10000)
    if a.write_faults:
        if a.any:
            write_faults(a.write_faults, a.seed or FAULT_ANY_SEED, a.n or FAULT_ANY_COUNT, True)
        else:
            write_faults(a.write_faults, a.seed or FAULT_SEED, a.n or FAULT_COUNT)
        return
    if not a.interp:
        ap.error("--interp is required")
    a.seed = a.seed or "1"
    a.n = 2000 if a.n is None else a.n
    wrapper = a.wrapper.split()
    t0 = time.time()
    ran = diverged = 0
    stats = {"raised": 0, "returned": 0, "completed": 0}
    shapes = {}  # a feature or a runtime flag: how many scenarios have it
    for start in range(a.first, a.first + a.n, a.batch):
        batch = [(i, scenario(a.seed, i, a.faults)) for i in range(start, min(start + a.batch, a.first + a.n))]
        py, flags = python_traces(batch)
        for i, sc in batch:
            for f in features(sc) | {"using: " + x for x in flags.get(i, ())}:
                shapes[f] = shapes.get(f, 0) + 1
        c, rc, err = c_traces(a.interp, batch, wrapper)
        if rc != 0:
            print("cx-diff exited with status %d\n%s" % (rc, err[-4000:]))
        for i, sc in batch:
            ran += 1
            p, q = py.get(i), c.get(i)
            if p and p[-1].startswith("end "):
                stats[p[-1].split()[1]] += 1
            if a.show or p != q:
                if p != q:
                    diverged += 1
                if a.brief and p != q:
                    d = difflib.unified_diff(p or [], q or [], lineterm="", n=0)
                    print("%d: %s" % (i, " | ".join(x for x in d if x[:1] in "+-"
                                                    and x[:3] not in ("---", "+++"))))
                elif a.show or diverged <= a.max_report:
                    show(i, sc, p, q)
        if rc != 0:
            diverged += 1
            break
    if a.stats:
        for f in sorted(shapes, key=lambda f: -shapes[f]):
            print("  %6d  %5.1f%%  %s" % (shapes[f], 100.0 * shapes[f] / max(ran, 1), f))
    print("difftest: %d of %d scenarios (%.1f%%) contain a cx_using, %d (%.1f%%) a cx_defer"
          % (shapes.get("using", 0), ran, 100.0 * shapes.get("using", 0) / max(ran, 1),
             shapes.get("defer", 0), 100.0 * shapes.get("defer", 0) / max(ran, 1)))
    print("difftest: seed %s, scenarios %d..%d: %d run, %d diverged "
          "(outcomes: %d raised, %d returned, %d completed) in %.1fs"
          % (a.seed, a.first, a.first + a.n - 1, ran, diverged, stats["raised"],
             stats["returned"], stats["completed"], time.time() - t0))
    sys.exit(1 if diverged else 0)


if __name__ == "__main__":
    main()
