#!/usr/bin/env python3
"""Blocks of 10 or more identical lines that stand twice in the C sources
outside tests/ (white space folded; blank lines, comments, lone braces and
#include lines passed over). Prints each pair; exit 1 when there is one.

    dup_blocks.py SOURCE_DIR [MIN_LINES]
"""
import re
import subprocess
import sys

src = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 10
files = subprocess.run(['git', '-C', src, 'ls-files', '*.c', '*.h'], capture_output=True,
                       text=True, check=True).stdout.split()
files = [f for f in files if not f.startswith('tests/')]
skip = re.compile(r'^(\{|\}|\};|\)|\);|else|#include.*|//.*|/\*.*|\*.*|)$')
seen = {}    # block -> (file, index in that file's kept lines)
runs = []    # [file_a, ka_first, ka_last, file_b, kb_first, kb_last]
kept_of = {}
for f in files:
    try:
        lines = open(f'{src}/{f}', encoding='utf-8', errors='replace').read().split('\n')
    except OSError:
        continue
    kept = []
    for i, line in enumerate(lines, 1):
        t = ' '.join(line.split())
        if not skip.match(t):
            kept.append((i, t))
    kept_of[f] = kept
    for k in range(len(kept) - n + 1):
        block = [t for _, t in kept[k:k + n]]
        if sum(len(t) for t in block) < 12 * n:
            continue  # thin lines (closing code, short statements)
        key = '\n'.join(block)
        prev = seen.get(key)
        if prev is None:
            seen[key] = (f, k)
            continue
        pf, pk = prev
        if pf == f and pk + n > k:
            continue  # overlaps itself
        r = runs[-1] if runs else None
        if r and r[0] == pf and r[3] == f and r[2] == pk - 1 and r[5] == k - 1:
            r[2], r[5] = pk, k
        else:
            runs.append([pf, pk, pk, f, k, k])
for pf, p0, p1, f, k0, k1 in runs:
    a, b = kept_of[pf], kept_of[f]
    print(f'duplicate block: {pf}:{a[p0][0]}-{a[p1 + n - 1][0]} ~ {f}:{b[k0][0]}-{b[k1 + n - 1][0]}')
sys.exit(1 if runs else 0)
