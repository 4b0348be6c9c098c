#!/usr/bin/env python3
"""CPython peers of cx's benchmark cases, driven by cx-bench over a pipe.

Each peer is the Python a user would write for the same operation.  Timing
follows timeit: the statement runs in a loop over itertools.repeat, timed
with perf_counter_ns, with the garbage collector off while it runs.

Commands on stdin, one a line; one reply line each on stdout:
  calibrate <case> <impl> <budget_ns>  -> n: operations that take >= budget
  run <case> <impl> <n>                -> total ns for n operations
  rss <case> <impl> <n>                -> KiB of peak RSS growth per task,
                                          measured in a fresh interpreter
                                          after a run of one task
A failure replies 'error <text>'.  `peers.py --rss <case> <impl> <n>` is the
fresh interpreter's side.
"""
import asyncio
import contextlib
import gc
import itertools
import sys
import time

pc = time.perf_counter_ns
repeat = itertools.repeat


# ---- with_trivial: a class-based manager whose enter/exit do nothing ----

class Manager:
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        return False


def with_trivial(n):
    m = Manager()
    t0 = pc()
    for _ in repeat(None, n):
        with m as v:
            pass
    return pc() - t0


# ---- raise_catch / suppress_raise ----

def fails():
    raise ValueError("bad value")


def raise_catch(n):
    t0 = pc()
    for _ in repeat(None, n):
        try:
            fails()
        except ValueError as e:
            pass
    return pc() - t0


def suppress_raise(n):
    suppress = contextlib.suppress
    t0 = pc()
    for _ in repeat(None, n):
        with suppress(ValueError):
            fails()
    return pc() - t0


# ---- generators ----

@contextlib.contextmanager
def trivial_cm():
    yield 1


def generator_cm(n):
    t0 = pc()
    for _ in repeat(None, n):
        with trivial_cm() as v:
            pass
    return pc() - t0


def count_up(n):
    for i in range(n):
        yield i


def gen_iterate(n):
    t0 = pc()
    for v in count_up(n):
        pass
    return pc() - t0


# ---- ExitStack ----

def callback(arg):
    pass


def exitstack(n, callbacks):
    ExitStack = contextlib.ExitStack
    t0 = pc()
    for _ in repeat(None, n):
        with ExitStack() as s:
            for k in range(callbacks):
                s.callback(callback, s)
    return pc() - t0


# ---- open_close_devnull: the guide's performance section ----

def open_with(n):
    t0 = pc()
    for _ in repeat(None, n):
        with open('/dev/null', 'w') as file:
            pass
    return pc() - t0


def open_manual(n):
    t0 = pc()
    for _ in repeat(None, n):
        file = open('/dev/null', 'w')
        file.close()
    return pc() - t0


# ---- asyncio ----

@contextlib.asynccontextmanager
async def trivial_acm():
    yield 1


def async_with_acm(n):
    async def main():
        t0 = pc()
        for _ in repeat(None, n):
            async with trivial_acm() as v:
                pass
        return pc() - t0
    return asyncio.run(main())


async def nop():
    pass


def task_spawn_await(n):
    async def main():
        create_task = asyncio.create_task
        t0 = pc()
        for _ in repeat(None, n):
            await create_task(nop())
        return pc() - t0
    return asyncio.run(main())


class AsyncManager:
    """A class-based async manager whose __aenter__/__aexit__ do nothing."""
    async def __aenter__(self):
        return self

    async def __aexit__(self, exc_type, exc, tb):
        return False


async def one_task():
    async with AsyncManager():
        await asyncio.sleep(0.010)


async def many_tasks(n):
    async with asyncio.TaskGroup() as tg:
        for _ in range(n):
            tg.create_task(one_task())


def tasks_many(n):
    """The whole run: the loop's start, n tasks at once, the loop's end."""
    t0 = pc()
    asyncio.run(many_tasks(n))
    return pc() - t0


async def echo_back(reader, writer):
    try:
        while data := await reader.read(4096):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


def echo_roundtrip(n):
    """A client and a server (asyncio streams) exchanging 64-byte messages."""
    async def main():
        server = await asyncio.start_server(echo_back, '127.0.0.1', 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection('127.0.0.1', port)
        msg = b'e' * 64
        t0 = pc()
        for _ in repeat(None, n):
            writer.write(msg)
            await writer.drain()
            await reader.readexactly(64)
        elapsed = pc() - t0
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()
        return elapsed
    return asyncio.run(main())


PEERS = {
    ('with_trivial', 'python'): with_trivial,
    ('raise_catch', 'python'): raise_catch,
    ('suppress_raise', 'python'): suppress_raise,
    ('generator_cm', 'python'): generator_cm,
    ('gen_iterate', 'python'): gen_iterate,
    ('exitstack_1', 'python'): lambda n: exitstack(n, 1),
    ('exitstack_10', 'python'): lambda n: exitstack(n, 10),
    ('open_close_devnull', 'python_with'): open_with,
    ('open_close_devnull', 'python_manual'): open_manual,
    ('async_with_acm', 'python'): async_with_acm,
    ('task_spawn_await', 'python'): task_spawn_await,
    ('tasks_100k', 'python'): tasks_many,
    ('echo_roundtrip', 'python'): echo_roundtrip,
}


def timed(fn, n):
    enabled = gc.isenabled()
    gc.disable()
    try:
        return fn(n)
    finally:
        if enabled:
            gc.enable()


def calibrate(fn, budget):
    """timeit's autorange: grow n until one run takes at least budget ns."""
    n = 1
    while True:
        t = timed(fn, n)
        if t >= budget or n >= 1 << 30:
            return n
        grow = budget / max(t, 1) * 1.2
        n = int(n * min(max(grow, 2), 100))


def status_kib(field):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise RuntimeError('no ' + field + ' in /proc/self/status')


def rss_child(case, impl, n):
    fn = PEERS[(case, impl)]
    timed(fn, 1)  # as cx-bench: code and first allocations are not the tasks'
    before = status_kib('VmRSS')
    timed(fn, n)
    peak = status_kib('VmHWM')
    print('%.3f' % ((peak - before) / n))


def rss(case, impl, n):
    import subprocess
    out = subprocess.run([sys.executable, __file__, '--rss', case, impl, str(n)],
                         check=True, capture_output=True, text=True).stdout
    return float(out.strip())


def serve():
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == 'quit':
            break
        try:
            cmd, case, impl, arg = words
            fn = PEERS[(case, impl)]
            if cmd == 'calibrate':
                reply = str(calibrate(fn, int(arg)))
            elif cmd == 'run':
                reply = str(timed(fn, int(arg)))
            elif cmd == 'rss':
                reply = '%.3f' % rss(case, impl, int(arg))
            else:
                raise ValueError('unknown command ' + cmd)
        except Exception as e:  # reported to the driver, which prints it
            reply = 'error %s: %s' % (type(e).__name__, str(e).replace('\n', ' '))
        sys.stdout.write(reply + '\n')
        sys.stdout.flush()


if __name__ == '__main__':
    if len(sys.argv) == 5 and sys.argv[1] == '--rss':
        rss_child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        serve()
