#!/usr/bin/env python3
"""Checks a results.json written by cx-bench (the smoke test's assertions).

usage: check_results.py RESULTS --cxx ON|OFF --async ON|OFF CHECK
CHECK is one of the functions below; each asserts one thing and never looks
at a timing's size (the machine is shared and noisy)."""
import json
import sys

# The issue's table: (case, impl), exactly.
TABLE = [
    ('with_trivial', ['cx', 'c_handwritten', 'cpp_raii', 'python']),
    ('using_trivial', ['cx', 'c_handwritten']),
    ('defer_one', ['cx', 'c_cleanup_attr', 'cpp_raii']),
    ('raise_catch', ['cx', 'cpp_throw_catch', 'python']),
    ('suppress_raise', ['cx', 'python']),
    ('generator_cm', ['cx', 'python']),
    ('gen_iterate', ['cx', 'python']),
    ('exitstack_1', ['cx', 'python']),
    ('exitstack_10', ['cx', 'python']),
    ('mutex_with', ['cx', 'c_handwritten']),
    ('open_close_devnull', ['cx', 'c_handwritten', 'python_with', 'python_manual']),
    ('using_open_close_devnull', ['cx', 'c_handwritten']),
    ('async_with_acm', ['cx', 'python']),
    ('task_spawn_await', ['cx', 'python']),
    ('tasks_100k', ['cx', 'python']),
    ('echo_roundtrip', ['cx', 'python', 'c_libuv']),
    ('echo_2_loops', ['cx_1_loop', 'cx_2_loops']),
]
ASYNC_CASES = {'async_with_acm', 'task_spawn_await', 'tasks_100k', 'echo_roundtrip',
               'echo_2_loops'}


def expected(cxx, has_async):
    rows = set()
    for case, impls in TABLE:
        for impl in impls:
            if impl.startswith('cpp') and not cxx:
                continue
            if case in ASYNC_CASES and impl != 'python' and not has_async:
                continue
            rows.add((case, impl))
    return rows


def every_row_of_the_issue_table_is_present(doc, cxx, has_async):
    got = [(r['case'], r['impl']) for r in doc['cases']]
    assert len(got) == len(set(got)), 'duplicate rows: %r' % got
    want = expected(cxx, has_async)
    assert set(got) == want, 'missing %r, unexpected %r' % (
        sorted(want - set(got)), sorted(set(got) - want))


def rows_have_the_documented_shape(doc, cxx, has_async):
    assert list(doc) == ['cases'], 'top-level keys: %r' % list(doc)
    for r in doc['cases']:
        keys = {'case', 'impl', 'ns', 'min', 'max'}
        if r['impl'] == 'cx':
            keys.add('allocs')
        if r['case'] == 'tasks_100k':
            keys.add('rss_kib_per_task')
        assert set(r) == keys, '%s/%s has keys %r, wants %r' % (
            r['case'], r['impl'], sorted(r), sorted(keys))
        for k in keys - {'case', 'impl'}:
            assert isinstance(r[k], (int, float)) and r[k] >= 0, '%r: %s' % (r, k)
        assert r['min'] <= r['ns'] <= r['max'], 'min <= median <= max: %r' % r


def every_figure_is_a_positive_time(doc, cxx, has_async):
    for r in doc['cases']:
        assert r['min'] > 0 and r['ns'] > 0 and r['max'] > 0, r


def main():
    path, _, cxx, _, has_async, check = sys.argv[1:]
    with open(path) as f:
        doc = json.load(f)
    globals()[check](doc, cxx == 'ON', has_async == 'ON')
    print('ok:', check)


if __name__ == '__main__':
    main()
