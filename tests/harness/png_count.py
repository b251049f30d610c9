#!/usr/bin/env python3
"""png_count.py SHOT.png RRGGBB...: for each colour, how many pixels (every 2nd row, 4th column)
have it and the first row where it appears; plus the number of distinct colours."""
import struct
import sys
import zlib


def rows_of(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, _depth, ctype = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    bpp = {2: 3, 6: 4}[ctype]
    raw, stride, prev, i = zlib.decompress(idat), w * bpp, bytearray(w * bpp), 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], (prev[x - bpp] if x >= bpp else 0)
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        yield [tuple(line[x:x + 3]) for x in range(0, stride, bpp)]
        prev = line


want = {tuple(bytes.fromhex(c)): c for c in sys.argv[2:]}
count, first, colours = {c: 0 for c in want}, {c: -1 for c in want}, set()
for y, row in enumerate(rows_of(sys.argv[1])):
    if y % 2:
        continue
    for px in row[::4]:
        colours.add(px)
        if px in want:
            count[px] += 1
            first[px] = y if first[px] < 0 else first[px]
print("colours", len(colours))
for c, name in want.items():
    print(name, count[c], first[c])
