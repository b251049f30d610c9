#!/usr/bin/python3
"""kh-tsa-server: a local RFC 3161 time-stamp responder for kyso's tests.

HTTP POST of a TimeStampReq (Content-Type: application/timestamp-query) to any path is answered
by `openssl ts -reply` with the test PKI's TSA certificate (application/timestamp-reply).
Listens on 127.0.0.1 only. Python 3 standard library only.

  kh-tsa-server.py --pki-dir DIR [--port 0] [--port-file F] [--user U --password-env VAR]
                   [--fail-mode MODE [SECONDS]] [--fail-count N] [--state-dir DIR]

Fail modes (for client tests; with --fail-count N only the first N time-stamp requests fail):
  status-rejection   HTTP 200, a TimeStampResp with status "rejection" (failInfo badRequest)
  garbage            HTTP 200, application/timestamp-reply, bytes that are not DER
  slow SECONDS       wait SECONDS, then answer normally
  http500            HTTP 500
  drop               close the connection without any HTTP reply
  wrong-content-type HTTP 200, a correct reply labelled text/html
  wrong-nonce        a correctly signed reply whose nonce differs from the request's
  wrong-imprint      a correctly signed reply for a different message imprint
  no-certs           a correctly signed reply without certificates even when certReq is set
  no-eku             a reply whose token is signed (CAdES, with the certificate) by a certificate
                     without the timeStamping extended key usage (the PKI's RSA signer)
GET /stats answers "requests N\\ngranted N\\n" (POSTs received / time stamps granted).
"""

import argparse
import base64
import hmac
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
MAX_QUERY = 64 * 1024
DEFAULT_POLICY = "2.999.1.3.1"
FAIL_MODES = ("none", "status-rejection", "garbage", "slow", "http500", "drop",
              "wrong-content-type", "wrong-nonce", "wrong-imprint", "no-certs", "no-eku")


def log(msg):
    sys.stderr.write("kh-tsa-server: %s\n" % msg)
    sys.stderr.flush()


# --- minimal DER -------------------------------------------------------------------------

def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def der_tlv(tag, value):
    return bytes([tag]) + der_len(len(value)) + value


def der_read(buf, off):
    """Return (tag, value_start, value_end) of the TLV at off (short tags only)."""
    if off + 2 > len(buf):
        raise ValueError("truncated DER")
    tag = buf[off]
    first = buf[off + 1]
    pos = off + 2
    if first < 0x80:
        length = first
    else:
        n = first & 0x7F
        if n == 0 or n > 4 or pos + n > len(buf):
            raise ValueError("bad DER length")
        length = int.from_bytes(buf[pos:pos + n], "big")
        pos += n
    if pos + length > len(buf):
        raise ValueError("truncated DER value")
    return tag, pos, pos + length


def der_children(buf):
    """Split a DER SEQUENCE into its child TLVs (as bytes)."""
    tag, start, end = der_read(buf, 0)
    if tag != 0x30:
        raise ValueError("not a SEQUENCE")
    out = []
    off = start
    while off < end:
        _, vs, ve = der_read(buf, off)
        out.append(buf[off:ve])
        off = ve
    return out


def der_int(n):
    b = n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big")
    return der_tlv(0x02, b)


def rejection_response(text, fail_bit):
    """TimeStampResp { PKIStatusInfo { rejection(2), statusString, failInfo } }"""
    status = der_int(2)
    free_text = der_tlv(0x30, der_tlv(0x0C, text.encode("utf-8")))
    nbytes = fail_bit // 8 + 1
    bits = bytearray(nbytes)
    bits[fail_bit // 8] = 0x80 >> (fail_bit % 8)
    unused = 7 - (fail_bit % 8)
    fail_info = der_tlv(0x03, bytes([unused]) + bytes(bits))
    return der_tlv(0x30, der_tlv(0x30, status + free_text + fail_info))


def tamper_query(query, mode):
    """Rewrite a TimeStampReq for the wrong-nonce / wrong-imprint / no-certs modes."""
    kids = der_children(query)
    if len(kids) < 2:
        raise ValueError("TimeStampReq too short")
    out = [kids[0]]
    if mode == "wrong-imprint":
        alg, digest = der_children(kids[1])
        _, vs, ve = der_read(digest, 0)
        h = bytearray(digest[vs:ve])
        h[0] ^= 0xFF
        out.append(der_tlv(0x30, alg + der_tlv(0x04, bytes(h))))
    else:
        out.append(kids[1])
    rest = kids[2:]
    had_nonce = False
    for k in rest:
        if k[0] == 0x02 and mode == "wrong-nonce":
            _, vs, ve = der_read(k, 0)
            n = int.from_bytes(k[vs:ve], "big", signed=True)
            out.append(der_int(abs(n) + 1))
            had_nonce = True
        elif k[0] == 0x01 and mode == "no-certs":
            continue
        else:
            if mode == "wrong-nonce" and not had_nonce and k[0] in (0x01, 0xA0):
                out.append(der_int(0x4B59534F))
                had_nonce = True
            out.append(k)
    if mode == "wrong-nonce" and not had_nonce:
        out.append(der_int(0x4B59534F))
    return der_tlv(0x30, b"".join(out))


# --- openssl ts ----------------------------------------------------------------------------

def read_env_file(path):
    env = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            k, v = line.split("=", 1)
            if len(v) >= 2 and v[0] == v[-1] == "'":
                v = v[1:-1]
            env[k] = v
    return env


def write_tsa_cnf(state, cert, key, certs, policy, digests, signer_digest):
    path = os.path.join(state, "tsa.cnf")
    serial = os.path.join(state, "tsaserial")
    if not os.path.exists(serial):
        with open(serial, "w") as f:
            f.write("01\n")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"""# written by kh-tsa-server.py (tests only)
[ tsa ]
default_tsa = tsa_config1

[ tsa_config1 ]
dir = {state}
serial = {serial}
crypto_device = builtin
signer_cert = {cert}
certs = {certs}
signer_key = {key}
signer_digest = {signer_digest}
default_policy = {policy}
other_policies = 2.999.1.3.2
digests = {", ".join(digests)}
accuracy = secs:1
clock_precision_digits = 0
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
""")
    return path


class Responder:
    def __init__(self, args, state, cnf):
        self.args = args
        self.state = state
        self.cnf = cnf
        self.lock = threading.Lock()
        self.requests = 0
        self.granted = 0
        self.seq = 0

    def count_request(self):
        with self.lock:
            self.requests += 1
            return self.requests

    def reply(self, query):
        """Run openssl ts -reply on query; return the DER TimeStampResp."""
        with self.lock:
            self.seq += 1
            q = os.path.join(self.state, "q%d.tsq" % self.seq)
            r = os.path.join(self.state, "r%d.tsr" % self.seq)
            with open(q, "wb") as f:
                f.write(query)
            try:
                p = subprocess.run([self.args.openssl, "ts", "-reply", "-config", self.cnf,
                                    "-queryfile", q, "-out", r],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
                if p.returncode != 0 or not os.path.exists(r):
                    log("openssl ts -reply failed: %s" % p.stderr.decode(errors="replace"))
                    return None
                with open(r, "rb") as f:
                    data = f.read()
            finally:
                for x in (q, r):
                    if os.path.exists(x):
                        os.unlink(x)
            # granted (0) or grantedWithMods (1)?
            try:
                kids = der_children(data)
                st = der_children(kids[0])[0]
                if st[0] == 0x02 and st[-1] in (0, 1):
                    self.granted += 1
            except ValueError:
                pass
            return data

    def resign(self, data):
        """no-eku: the same TSTInfo, signed again by a certificate without the timeStamping
        EKU (openssl ts -reply refuses such a signer, so openssl cms -sign -cades does it)."""
        kids = der_children(data)
        if len(kids) < 2:
            return data
        with self.lock:
            self.seq += 1
            tok = os.path.join(self.state, "t%d.der" % self.seq)
            tst = os.path.join(self.state, "i%d.der" % self.seq)
            out = os.path.join(self.state, "o%d.der" % self.seq)
            try:
                with open(tok, "wb") as f:
                    f.write(kids[1])
                for cmd in ([self.args.openssl, "cms", "-verify", "-noverify", "-binary",
                             "-inform", "DER", "-in", tok, "-out", tst],
                            [self.args.openssl, "cms", "-sign", "-binary", "-nodetach", "-cades",
                             "-nosmimecap", "-md", "sha256", "-econtent_type",
                             "1.2.840.113549.1.9.16.1.4", "-signer", self.args.noeku_cert,
                             "-inkey", self.args.noeku_key, "-outform", "DER", "-in", tst,
                             "-out", out]):
                    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       timeout=30)
                    if p.returncode != 0:
                        log("no-eku: %s failed: %s" % (cmd[1], p.stderr.decode(errors="replace")))
                        return None
                with open(out, "rb") as f:
                    token = f.read()
            finally:
                for x in (tok, tst, out):
                    if os.path.exists(x):
                        os.unlink(x)
        return der_tlv(0x30, kids[0] + token)


def make_handler(resp):
    args = resp.args

    class Handler(BaseHTTPRequestHandler):
        server_version = "kyso-test-tsa/1"

        def log_message(self, fmt, *a):
            log("%s %s" % (self.address_string(), fmt % a))

        def send(self, code, body=b"", ctype="text/plain; charset=utf-8", extra=None):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self):
            if self.path.rstrip("/") == "/stats":
                body = "requests %d\ngranted %d\n" % (resp.requests, resp.granted)
                self.send(200, body.encode())
            else:
                self.send(405, b"POST a TimeStampReq\n", extra={"Allow": "POST"})

        def authorized(self):
            if args.user is None:
                return True
            h = self.headers.get("Authorization", "")
            if not h.startswith("Basic "):
                return False
            try:
                got = base64.b64decode(h[6:].strip(), validate=True)
            except ValueError:
                return False
            want = ("%s:%s" % (args.user, args.password)).encode("utf-8")
            return hmac.compare_digest(got, want)

        def do_POST(self):
            n = resp.count_request()
            try:
                length = int(self.headers.get("Content-Length", "-1"))
            except ValueError:
                length = -1
            if length < 0:
                self.send(411, b"Content-Length required\n")
                return
            if length > MAX_QUERY:
                self.send(413, b"query too large\n")
                return
            query = self.rfile.read(length)
            if not self.authorized():
                self.send(401, b"authentication required\n",
                          extra={"WWW-Authenticate": 'Basic realm="kyso test TSA"'})
                return
            ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if ctype != QUERY_TYPE:
                self.send(415, ("expected Content-Type %s\n" % QUERY_TYPE).encode())
                return
            mode = args.fail_mode
            if args.fail_count is not None and n > args.fail_count:
                mode = "none"
            self.answer(query, mode)

        def answer(self, query, mode):
            if mode == "http500":
                self.send(500, b"test TSA: simulated internal error\n")
                return
            if mode == "drop":
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            if mode == "garbage":
                self.send(200, b"this is not a TimeStampResp\x00\xff" + os.urandom(32), REPLY_TYPE)
                return
            if mode == "status-rejection":
                self.send(200, rejection_response("kyso test TSA: request rejected", 2), REPLY_TYPE)
                return
            if mode == "slow":
                time.sleep(args.fail_seconds)
            if mode in ("wrong-nonce", "wrong-imprint", "no-certs"):
                try:
                    query = tamper_query(query, mode)
                except ValueError as e:
                    log("cannot rewrite query for %s: %s" % (mode, e))
            data = resp.reply(query)
            if data is not None and mode == "no-eku":
                data = resp.resign(data)
            if data is None:
                self.send(500, b"openssl ts -reply failed\n")
                return
            ctype = "text/html; charset=utf-8" if mode == "wrong-content-type" else REPLY_TYPE
            self.send(200, data, ctype)

    return Handler


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="kh-tsa-server.py",
                                 description="local RFC 3161 TSA for tests (127.0.0.1 only)")
    ap.add_argument("--pki-dir", help="test PKI (kh-pki OUTDIR): TSA cert/key and chain")
    ap.add_argument("--cert", help="TSA certificate (default KH_PKI_TSA_CERT from pki.env)")
    ap.add_argument("--key", help="TSA private key (default KH_PKI_TSA_KEY)")
    ap.add_argument("--certs", help="CA certificates to include (default KH_PKI_CHAIN)")
    ap.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = any free)")
    ap.add_argument("--port-file", help="write the chosen port here once listening")
    ap.add_argument("--state-dir", help="for tsa.cnf and the serial file (default: temporary)")
    ap.add_argument("--user", help="require HTTP basic auth with this user")
    ap.add_argument("--password-env", metavar="VAR",
                    help="environment variable holding the basic-auth password")
    ap.add_argument("--policy", default=DEFAULT_POLICY, help="TSA policy OID")
    ap.add_argument("--digests", default="sha256,sha384,sha512",
                    help="accepted message-imprint digests (comma separated)")
    ap.add_argument("--signer-digest", default="sha256")
    ap.add_argument("--fail-mode", nargs="+", default=["none"], metavar="MODE",
                    help="one of: " + ", ".join(FAIL_MODES) + " (slow takes SECONDS)")
    ap.add_argument("--fail-count", type=int,
                    help="only the first N time-stamp requests fail, later ones succeed")
    ap.add_argument("--openssl", default="openssl")
    a = ap.parse_args(argv)

    fm = a.fail_mode
    if len(fm) == 1 and "=" in fm[0]:
        fm = fm[0].split("=", 1)
    a.fail_mode = fm[0]
    a.fail_seconds = 0.0
    if a.fail_mode not in FAIL_MODES:
        ap.error("unknown fail mode %r" % a.fail_mode)
    if a.fail_mode == "slow":
        if len(fm) != 2:
            ap.error("--fail-mode slow needs SECONDS")
        try:
            a.fail_seconds = float(fm[1])
        except ValueError:
            ap.error("bad SECONDS %r" % fm[1])
    elif len(fm) != 1:
        ap.error("fail mode %s takes no argument" % a.fail_mode)

    a.password = None
    if a.user is not None:
        if not a.password_env or a.password_env not in os.environ:
            ap.error("--user needs --password-env VAR with VAR set")
        a.password = os.environ[a.password_env]
    elif a.password_env:
        ap.error("--password-env needs --user")

    if a.pki_dir:
        env = read_env_file(os.path.join(a.pki_dir, "pki.env"))
        a.cert = a.cert or env.get("KH_PKI_TSA_CERT")
        a.key = a.key or env.get("KH_PKI_TSA_KEY")
        a.certs = a.certs or env.get("KH_PKI_CHAIN")
        a.noeku_cert = env.get("KH_PKI_SIGNER_RSA_CERT")
        a.noeku_key = env.get("KH_PKI_SIGNER_RSA_KEY")
    else:
        a.noeku_cert = a.noeku_key = None
    if a.fail_mode == "no-eku" and not (a.noeku_cert and a.noeku_key):
        ap.error("--fail-mode no-eku needs --pki-dir (its RSA signer signs the token)")
    for what in ("cert", "key", "certs"):
        v = getattr(a, what)
        if not v or not os.path.isfile(v):
            ap.error("TSA %s not found (give --pki-dir or --%s)" % (what, what))
    a.digests = [d.strip() for d in a.digests.split(",") if d.strip()]
    return a


def main(argv):
    args = parse_args(argv)
    own_state = args.state_dir is None
    state = tempfile.mkdtemp(prefix="kh-tsa.") if own_state else args.state_dir
    os.makedirs(state, exist_ok=True)
    cnf = write_tsa_cnf(state, args.cert, args.key, args.certs, args.policy, args.digests,
                        args.signer_digest)
    resp = Responder(args, state, cnf)

    httpd = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(resp))
    httpd.daemon_threads = True
    port = httpd.server_address[1]

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        if args.port_file:
            tmp = args.port_file + ".tmp"
            with open(tmp, "w") as f:
                f.write("%d\n" % port)
            os.replace(tmp, args.port_file)
        print("KH_TSA_PORT=%d" % port, flush=True)
        log("listening on http://127.0.0.1:%d/ fail-mode=%s%s" %
            (port, args.fail_mode, "" if args.user is None else " basic-auth user=" + args.user))
        httpd.serve_forever(poll_interval=0.2)
    finally:
        httpd.server_close()
        if own_state:
            shutil.rmtree(state, ignore_errors=True)
        log("stopped (requests %d, granted %d)" % (resp.requests, resp.granted))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
