#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_card (corpus/card/) from the PKCS#15 files
of corpus/p15: the answers a Bit4id token gives, in the order kyso-pkcs11
asks (identify, load ODF/TokenInfo/AODF/CDF/certificates/PrKDF, PIN status,
VERIFY, MSE SET, PSO CDS). Run it again when the driver's order changes."""
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))
p15 = os.path.join(here, "corpus", "p15")
out = os.path.join(here, "corpus", "card")
CHUNK = 0xE7
OK, EOF = b"\x90\x00", b"\x62\x82"


def f(name):
    with open(os.path.join(p15, name), "rb") as fh:
        return fh.read()


def ef(content):
    """SELECT EF, then READ BINARY chunks; the last one ends with 6282."""
    answers = [OK]
    for off in range(0, len(content), CHUNK):
        part = content[off:off + CHUNK]
        last = off + CHUNK >= len(content)
        answers.append(part + (EOF if last else OK))
    return answers


def card(certs, chained=False):
    a = [OK, OK]  # SELECT AID: identify, then load
    for name in ("odf", "tokeninfo", "aodf", "cdf"):
        a += ef(f(name))
    for c in certs:
        a += ef(f(c))
    a += ef(f("prkdf"))
    # every later command starts by selecting the application again
    a += [OK, b"\x63\xC3"]  # C_GetTokenInfo: PIN status, 3 tries left
    a += [OK, OK]  # C_Login: VERIFY
    a += [OK, OK]  # C_Sign: MSE SET DST, then PSO CDS
    sig = bytes((i * 7 + 1) & 0xFF for i in range(256))
    if chained:  # PSO answered in two parts through GET RESPONSE
        a.append(b"\x61\x00")
        a.append(sig[:200] + b"\x61\x38")
        a.append(sig[200:] + OK)
    else:
        a.append(sig + OK)
    return a


def write(name, mode, answers):
    data = bytes([mode]) + b"".join(struct.pack(">H", len(x)) + x for x in answers)
    with open(os.path.join(out, name), "wb") as fh:
        fh.write(data)


os.makedirs(out, exist_ok=True)
zcerts = ["cert-signer.z", "cert-ca.z", "cert-root.z"]
write("bit4id-sign", 0, card(zcerts))
write("bit4id-chained", 4, card(zcerts, chained=True))
write("bit4id-der-reset", 1, card(["cert-signer.der", "cert-ca.der", "cert-root.der"]))
write("bit4id-short-pin", 2, card(zcerts)[:-5] + [b"\x6A\x80"])
write("no-applet", 0, [b"\x6A\x82", b"\x6A\x82"])
