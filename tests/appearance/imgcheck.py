#!/usr/bin/env python3
"""Test image + render checks for the visible-signature tests (stdlib only).
  imgcheck.py make OUT.png            write the test signature image (RGBA, transparent background)
  imgcheck.py compare PAGE.ppm DPI PAGE_H_PT X Y W H
        the region (points, from the page's lower-left) of a pdftoppm render must show the test
        image scaled into it (transparent pixels -> white page): prints the matching fraction
  imgcheck.py ink PAGE.ppm DPI PAGE_H_PT X Y W H
        prints the fraction of non-white pixels in the region
  imgcheck.py crop PAGE.ppm DPI PAGE_H_PT X Y W H OUT.png   the region as an RGB PNG
  imgcheck.py diff A.png B.png   fraction of pixels differing by more than 60 in a channel
        (1.0 when the sizes differ); only reads the PNGs this script writes"""
import struct
import sys
import zlib

W, H = 120, 60


def pixel(x, y):
    dx, dy = (x - 60) / 55.0, (y - 30) / 25.0
    d = dx * dx + dy * dy
    if 0.75 < d < 1.0:
        return (200, 0, 0, 255)
    if 25 < y < 35 and 20 < x < 100:
        return (0, 0, 220, 255)
    return (255, 255, 255, 0)


def make(path):
    raw = b"".join(b"\0" + b"".join(bytes(pixel(x, y)) for x in range(W)) for y in range(H))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 6, 0, 0, 0)) +
                           chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def read_ppm(path):
    data = open(path, "rb").read()
    parts = data.split(maxsplit=4)
    assert parts[0] == b"P6", "not a binary PPM"
    w, h = int(parts[1]), int(parts[2])
    return w, h, parts[4][: w * h * 3]


def region(args):
    path, dpi, page_h, x, y, w, h = args
    dpi, page_h, x, y, w, h = float(dpi), float(page_h), float(x), float(y), float(w), float(h)
    pw, ph, px = read_ppm(path)
    k = dpi / 72.0
    x0, x1 = int(round(x * k)), int(round((x + w) * k))
    y0, y1 = int(round((page_h - y - h) * k)), int(round((page_h - y) * k))
    return pw, px, x0, x1, y0, y1


def compare(args):
    pw, px, x0, x1, y0, y1 = region(args)
    good = total = 0
    for ry in range(y0 + 1, y1 - 1):
        for rx in range(x0 + 1, x1 - 1):
            sx = int((rx - x0 + 0.5) * W / (x1 - x0))
            sy = int((ry - y0 + 0.5) * H / (y1 - y0))
            r, g, b, a = pixel(sx, sy)
            want = (r, g, b) if a else (255, 255, 255)
            o = (ry * pw + rx) * 3
            got = px[o:o + 3]
            total += 1
            if all(abs(got[i] - want[i]) <= 60 for i in range(3)):
                good += 1
    print("%.3f" % (good / total if total else 0))


def ink(args):
    pw, px, x0, x1, y0, y1 = region(args)
    dark = total = 0
    for ry in range(y0, y1):
        for rx in range(x0, x1):
            o = (ry * pw + rx) * 3
            total += 1
            if min(px[o:o + 3]) < 160:
                dark += 1
    print("%.4f" % (dark / total if total else 0))


def write_png(path, w, h, rgb):
    raw = b"".join(b"\0" + rgb[y * w * 3:(y + 1) * w * 3] for y in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
                           chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def read_png(path):
    d = open(path, "rb").read()
    i, idat, w, h = 8, b"", 0, 0
    while i < len(d):
        n = struct.unpack(">I", d[i:i + 4])[0]
        t = d[i + 4:i + 8]
        if t == b"IHDR":
            w, h = struct.unpack(">II", d[i + 8:i + 16])
        elif t == b"IDAT":
            idat += d[i + 8:i + 8 + n]
        i += 12 + n
    raw = zlib.decompress(idat)
    return w, h, b"".join(raw[y * (w * 3 + 1) + 1:(y + 1) * (w * 3 + 1)] for y in range(h))


def crop(args):
    pw, px, x0, x1, y0, y1 = region(args[:7])
    rgb = b"".join(px[(y * pw + x0) * 3:(y * pw + x1) * 3] for y in range(y0, y1))
    write_png(args[7], x1 - x0, y1 - y0, rgb)


def diff(args):
    wa, ha, a = read_png(args[0])
    wb, hb, b = read_png(args[1])
    if (wa, ha) != (wb, hb):
        print("1.0")
        return
    bad = sum(1 for i in range(0, len(a), 3) if any(abs(a[i + k] - b[i + k]) > 60 for k in range(3)))
    print("%.4f" % (bad / (wa * ha)))


if __name__ == "__main__":
    {"make": lambda a: make(a[0]), "compare": compare, "ink": ink, "crop": crop, "diff": diff}[sys.argv[1]](sys.argv[2:])
