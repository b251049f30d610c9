#!/usr/bin/env python3
"""tst_extract.py SIG.DER OUTDIR: from a CMS SignedData (DER), writes OUTDIR/sigvalue (the first
SignerInfo's signature value) and OUTDIR/token.der (its signature-time-stamp unsigned attribute,
id-aa-timeStampToken 1.2.840.113549.1.9.16.2.14). Exit 1 when there is no time stamp.
A small DER walker, independent of kyso's OpenSSL code."""
import os
import sys

TST_OID = bytes.fromhex("060b2a864886f70d010910020e")


def tlv(b, i):
    """(tag, content start, end) of the TLV at i"""
    tag = b[i]
    n = b[i + 1]
    j = i + 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(b[j:j + k], "big")
        j += k
    return tag, j, j + n


def children(b, start, end):
    out = []
    i = start
    while i < end:
        t, s, e = tlv(b, i)
        out.append((t, i, s, e))
        i = e
    return out


def main():
    der = open(sys.argv[1], "rb").read()
    out = sys.argv[2]
    _, s, e = tlv(der, 0)  # ContentInfo
    ci = children(der, s, e)
    _, _, s0, e0 = ci[1]  # [0] EXPLICIT
    _, s, e = tlv(der, s0)  # SignedData
    sd = children(der, s, e)
    sis = sd[-1]
    assert sis[0] == 0x31, "no signerInfos SET"
    si_t, _, si_s, si_e = children(der, sis[2], sis[3])[0]
    parts = children(der, si_s, si_e)
    sig = [p for p in parts if p[0] == 0x04]
    assert sig, "no signature value"
    open(os.path.join(out, "sigvalue"), "wb").write(der[sig[0][2]:sig[0][3]])
    un = [p for p in parts if p[0] == 0xA1]
    if not un:
        sys.exit(1)
    for t, i, s, e in children(der, un[0][2], un[0][3]):
        attr = children(der, s, e)
        if der[attr[0][1]:attr[0][3]] == TST_OID:
            vals = children(der, attr[1][2], attr[1][3])
            _, i2, _, e2 = vals[0]
            open(os.path.join(out, "token.der"), "wb").write(der[i2:e2])
            return
    sys.exit(1)


main()
