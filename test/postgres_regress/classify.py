#!/usr/bin/env python3
"""Classify the hunks of heap -> lsm diffs of the core regression suite.

    classify.py DIFFDIR > classified.txt

Each hunk of each DIFFDIR/<test>.diff gets one class:
  order   the removed and the added lines are the same multiset: rows in
          another order (no ORDER BY; lsm scans in row-id order, heap in
          physical order, and plans differ)
  plan    only EXPLAIN lines changed (other plan shapes: lsm's costs and
          statistics differ from heap's, e.g. no index-only scans)
  other   anything else: read it (wrong results, errors, ...)
Prints one line per test with the counts, then every "other" hunk.
"""
import os
import re
import sys

PLAN = re.compile(
    r'^\s*(->\s+)?(QUERY PLAN|-{5,}|Seq Scan|Index|Bitmap|Hash|Nested Loop|Merge|Sort|'
    r'Incremental Sort|Filter|Join Filter|Output|Materialize|Recheck|Memoize|'
    r'Cache Key|Cache Mode|Heap Fetches|Append|Parallel|Gather|Workers|Group|'
    r'HashAggregate|GroupAggregate|Aggregate|MixedAggregate|Unique|Result|Limit|'
    r'Subquery Scan|Function Scan|One-Time Filter|Values Scan|InitPlan|SubPlan|'
    r'Presorted Key|Tid Scan|Tid Range Scan|TID Cond|Rows Removed|Planning|'
    r'Execution|Buffers|Batches|Single Copy|Sort Key|Sort Method|Partial|'
    r'Finalize|Custom Scan|CTE Scan|WorkTable|Recursive Union|SetOp|HashSetOp|'
    r'Subplans Removed|Index Cond|Order By|Group Key|Hash Key|Run Condition|'
    r'WindowAgg|LockRows|Foreign|Update on|Delete on|Insert on|Merge on|'
    r'Inner Unique|Hash Cond|Merge Cond|Sample Scan|Sampling|Disabled|Anti|Semi|'
    r'Full|Left|Right|Conflict|Strategy|Cost|Heap Blocks|Exact|Lossy|Rows|Loops|'
    r'Pre-sorted|Full-sort|Memory|Peak|Estimates|Average|Planned|Candidate)',
)
PLAN_FOOTER = re.compile(r'^\(\d+ rows?\)$')


def hunks(path):
    cur = None
    with open(path, errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            if line.startswith('@@'):
                if cur:
                    yield cur
                cur = [line]
            elif cur is not None:
                cur.append(line)
    if cur:
        yield cur


def classify(h):
    minus = [l[1:] for l in h[1:] if l.startswith('-')]
    plus = [l[1:] for l in h[1:] if l.startswith('+')]
    if sorted(minus) == sorted(plus):
        return 'order'
    changed = minus + plus
    if all(PLAN.match(l) or PLAN_FOOTER.match(l.strip()) or l.strip() == ''
           for l in changed):
        return 'plan'
    return 'other'


def main():
    d = sys.argv[1]
    others = []
    for name in sorted(os.listdir(d)):
        if not name.endswith('.diff'):
            continue
        counts = {'order': 0, 'plan': 0, 'other': 0}
        for h in hunks(os.path.join(d, name)):
            c = classify(h)
            counts[c] += 1
            if c == 'other':
                others.append((name[:-5], h))
        print('%-24s order %3d  plan %3d  other %3d' %
              (name[:-5], counts['order'], counts['plan'], counts['other']))
    for test, h in others:
        print('\n==== %s' % test)
        print('\n'.join(h))


if __name__ == '__main__':
    main()
