"""Checks of who may call kyso-agent and what a page learns (issue 18: other OS
users, page-named TSAs; issue 23: setLanguage per connection). One check per
call: peer_checks.py NAME; same environment as checks.py."""
import json
import os
import socket
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import E, ORIGIN, WORK, KYSO, VNPT, VGCA, expect, fail, https, pdf_b64, vnpt_call, vnpt_json  # noqa: E402,E501
from wsclient import WS, Refused  # noqa: E402

PORTS = (("kyso", KYSO), ("vnpt", VNPT), ("vgca", VGCA))


def raw_state(port, wait=3.0):
    """Connects, sends nothing: 'closed' (EOF or reset, with how many bytes came
    first) or 'open' when the agent keeps the connection (waiting for TLS)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=wait)
    got = b""
    try:
        while True:
            d = s.recv(4096)
            if not d:
                return "closed", got
            got += d
    except socket.timeout:
        return "open", got
    except ConnectionError:
        return "closed", got
    finally:
        s.close()


# ---- another OS user (run as that user) ------------------------------------------------

def c_other_refused():
    for name, port in PORTS:
        state, got = raw_state(port)
        expect(state == "closed" and got == b"",
               "%s port: another user's connection is %s after %d bytes, want closed with none"
               % (name, state, len(got)))
    # the attack of the issue: a forged Origin of an allowed site, outside a browser
    try:
        ws = WS(VNPT, "/plugin", ORIGIN, timeout=10)
        ws.send(json.dumps({"functionID": 0, "funcCallback": "cb", "args": ["0"], "domain": "x"}))
        fail("VNPT WebSocket with a forged Origin opened for another user: %r" % ws.recv()[:200])
    except (Refused, ConnectionError, ssl.SSLError, OSError):
        pass
    for path, hdrs in (("/v1/certificates", {"Origin": ORIGIN}), ("/v1/status", {})):
        try:
            st, _, body = https("GET", path, headers=hdrs)
            fail("GET %s answered %d to another user: %r" % (path, st, body[:200]))
        except (ConnectionError, ssl.SSLError, OSError):
            pass


# ---- the agent's own user ------------------------------------------------------------------

def c_own_allowed():
    for name, port in PORTS:
        state, got = raw_state(port, wait=2.0)
        expect(state == "open" and got == b"",
               "%s port: the own user's idle connection is %s, want open" % (name, state))
    expect(vnpt_call(7, [], cb="cbCheck") == "1", "the own user's checkPlugin")
    r = vnpt_call(0, ["0"])
    expect(r != "" and json.loads(r).get("serial"), "the own user's getCertInfo: %r" % r[:200])
    st, _, body = https("GET", "/v1/status")
    expect(st == 200 and json.loads(body)["ok"] is True, "the own user's /v1/status: %d" % st)


def last_desc():
    with open(E["AG_PELOG"], encoding="utf-8", errors="replace") as f:
        desc = [ln for ln in f if ln.startswith("SETDESC")]
    expect(desc, "no SETDESC in the pinentry log")
    return desc[-1]


def c_program_named():
    """A script (not a browser) signs: the consent dialog names its program."""
    r = vnpt_json(2, [pdf_b64(), json.dumps({"FileName": "cong-van.pdf"})])
    expect(r["code"] == 0, "signPdf from a script: %r" % r)
    exe = os.path.realpath(sys.executable)
    d = last_desc()
    expect(exe in d, "the consent text %r does not name the calling program %s" % (d[:400], exe))


# ---- a TSA named by the page ----------------------------------------------------------------

def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def sign_with_tsa(url):
    return vnpt_call(2, [pdf_b64(), json.dumps({"FileName": "tsa.pdf", "TsaUrl": url})])


def c_tsa_same_answer():
    c1, c2 = closed_port(), closed_port()
    http_port = int(E["AG_FILES"].rsplit(":", 1)[1])  # the test web system: HTTP, no TSA
    answers = {}
    for what, url in (("closed", "http://127.0.0.1:%d/tsa" % c1),
                      ("closed2", "http://127.0.0.1:%d/" % c2),
                      ("open non-TSA", "http://127.0.0.1:%d/files/" % http_port),
                      ("unknown host", "http://tsa.invalid/")):
        answers[what] = sign_with_tsa(url)
        d = last_desc()
        expect(url[:40] in d, "the consent dialog does not show the page's TSA %s: %r"
               % (url, d[:400]))
    first = answers["closed"]
    r = json.loads(first)
    expect(r["code"] != 0 and r["data"] == "", "a failing page TSA signed: %r" % first[:200])
    for what, a in answers.items():
        expect(a == first, "TSA %s answers %r, a closed port %r" % (what, a[:300], first[:300]))
    for leak in (str(c1), str(http_port), "127.0.0.1", "refused", "Connection", "HTTP 4", "HTTP 5"):
        expect(leak not in first, "the answer tells %r: %r" % (leak, first[:300]))


def c_tsa_configured():
    """The TSA set up in config.json (agent_tsa_url) gets no note in the dialog."""
    url = E["AG_SETUP_TSA"]
    a = sign_with_tsa(url)
    expect(json.loads(a)["code"] != 0, "a closed configured TSA signed: %r" % a[:200])
    d = last_desc()
    expect(url not in d, "the configured TSA got a consent note: %r" % d[:400])
    b = sign_with_tsa("http://127.0.0.1:%d/" % closed_port())
    expect(a == b, "configured %r and page-named %r TSA answers differ" % (a[:200], b[:200]))


# ---- setLanguage per connection ---------------------------------------------------------------

EN_UNSUP = "Function 24 is not supported by kyso-agent."
VI_UNSUP = "kyso-agent không hỗ trợ chức năng 24."


def unsupported(ws):
    return json.loads(vnpt_call(24, [0], ws=ws))["error"]


def cancelled(ws):
    open(os.path.join(WORK, "cancel"), "w").close()
    try:
        r = json.loads(vnpt_call(2, [pdf_b64(), "{}"], ws=ws))
    finally:
        os.remove(os.path.join(WORK, "cancel"))
    expect(r["code"] == 11, "cancelled signPdf: %r" % r)
    return r["error"]


def c_language():
    a = WS(VNPT, "/plugin", ORIGIN)
    b = WS(VNPT, "/plugin", ORIGIN)
    expect(unsupported(a) == VI_UNSUP and unsupported(b) == VI_UNSUP,
           "before setLanguage both connections speak the agent's Vietnamese")
    vi_cancel = cancelled(b)
    expect(json.loads(vnpt_call(23, ["en_US"], ws=a))["code"] == 0, "setLanguage en_US")
    # answered at once (event loop) and by the token worker, both in the page's language
    got = unsupported(a)
    expect(got == EN_UNSUP, "connection A after setLanguage(en_US): %r" % got)
    got = unsupported(b)
    expect(got == VI_UNSUP, "connection B keeps Vietnamese: %r" % got)
    en_cancel = cancelled(a)
    expect(en_cancel != vi_cancel and en_cancel.isascii(),
           "the worker's cancel text on A %r (B: %r)" % (en_cancel, vi_cancel))
    expect(cancelled(b) == vi_cancel, "the worker's cancel text on B stays Vietnamese")
    # a language kyso has no texts for leaves it; vi_vn switches back
    vnpt_call(23, ["la_lao"], ws=a)
    expect(unsupported(a) == EN_UNSUP, "la_lao changed connection A's language")
    vnpt_call(23, ["vi_vn"], ws=a)
    expect(unsupported(a) == VI_UNSUP, "vi_vn did not switch connection A back")
    # a new connection starts in the agent's language
    c = WS(VNPT, "/plugin", ORIGIN)
    vnpt_call(23, ["en_US"], ws=b)
    expect(unsupported(c) == VI_UNSUP, "a new connection took another connection's language")
    for ws in (a, b, c):
        ws.close()


if __name__ == "__main__":
    globals()["c_" + sys.argv[1]]()
    print("ok", sys.argv[1])
