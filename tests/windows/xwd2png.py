#!/usr/bin/env python3
"""xwd2png.py IN.xwd OUT.png: an X window dump (xwd, ZPixmap, 24/32 bpp) as PNG.
The dialog screenshots of the wine tests (no ImageMagick needed)."""
import struct
import sys
import zlib

data = open(sys.argv[1], "rb").read()
h = struct.unpack(">25I", data[:100])
hsize, fmt, depth, width, height = h[0], h[2], h[3], h[4], h[5]
order, bpp, bpl, ncolors = h[7], h[11], h[12], h[19]
if fmt != 2 or bpp not in (24, 32):
    sys.exit("xwd2png: only ZPixmap with 24/32 bits per pixel")
px = data[hsize + ncolors * 12:]
step = bpp // 8
rows = []
for y in range(height):
    line = px[y * bpl:y * bpl + width * step]
    out = bytearray(b"\0")
    for x in range(0, width * step, step):
        b, g, r = (line[x], line[x + 1], line[x + 2]) if order == 0 else (line[x + 3], line[x + 2], line[x + 1])
        out += bytes((r, g, b))
    rows.append(bytes(out))


def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)


open(sys.argv[2], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                              + chunk(b"IDAT", zlib.compress(b"".join(rows), 6)) + chunk(b"IEND", b""))
