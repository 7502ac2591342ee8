"""Crashes the fuzzers found, kept as regression inputs: name -> (fuzz target, bytes). Each entry
names what crashed and the fix; test_fuzz.test_crash_corpus_replays runs them all.
They live in code (bytes literals, base64 for binary ones) so that nothing binary is committed."""

from __future__ import annotations

import base64

CRASHES: dict[str, tuple[str, bytes]] = {
    # pickleops: GLOBAL whose module name is not UTF-8 raised UnicodeDecodeError out of the scanner (the
    # pickle analyzer failed, so every scan of such a file was "incomplete"); now a malformed pickle,
    # as pickle itself refuses it.
    "pickle-global-non-utf8-module": ("pickle", b"c\x80posix\nsystem\n(Vtouch /tmp/x\ntR."),
    "pickle-inst-non-utf8-name": ("pickle", b"(Vx\nisubprocess\n\xffgetoutput\n."),
    # pickleops: GET/PUT with an index of more than 40 digits read as None, then int(None) raised
    # TypeError (analyzer failed). pickle accepts any int() length as a memo index, so the scanner now
    # resolves them (a STACK_GLOBAL fed through memo[10**50] is os.system, see corpus.py) and refuses
    # only what int() itself refuses (> 4300 digits) as malformed.
    "pickle-get-index-over-40-digits": ("pickle", b"g\x00\x80\x02}q\x00." + b"g" + b"9" * 60 + b"\n."),
    "pickle-put-index-over-40-digits": ("pickle", b"\x80\x02N" + b"p" + b"1" * 41 + b"\n."),
    "pickle-int-over-4300-digits": ("pickle", b"I" + b"7" * 5000 + b"\n."),
    # notebooks (found by atheris): `x = %magic` matched the shell-assignment pattern, whose command was
    # then taken after a "!" that is not there -> IndexError, so every analyzer reading the notebook
    # failed on ordinary IPython (`files = %ls`). The command is now what follows "= !" or "= %".
    "notebook-assign-from-magic": ("notebook", base64.b64decode(
        "eyJjZWxscyI6IFt7ImNlbGxfdHlwZSI6ICJjb2RlIiwgInNvdXJjZSI6IFsiaW1vctMgb3NcbiIsICJwPSVpcCBpbnN0hWxsIHhcbiIsICIsbHNcbiJdLCAibWV0YWRhdGEiOiB7fSwgIm9hIjoge319XSwgIm1lYWRhdF9taW5vciI6IDV9")),
    # config (found by hypothesis): a non-string key (`~: 1`, `1: 2`, `limits: {~: 1}`) made the
    # unknown-key message join None/int into a string -> TypeError and a traceback instead of exit 2.
    # Fixed in config.py (and the same sort in ratp/plan.py): the key is shown as text.
    "config-null-key": ("config", b"~: 1\n"),
    "config-int-key": ("config", b"1: 2\n"),
    "config-nested-null-key": ("config", b"limits: {~: 1}\n"),
    "config-mixed-keys": ("config", b"a: 1\n~: 2\nb: 3\n"),
    "ratp-mixed-keys": ("ratp", b"risks:\n  - {id: R-X, b: 1, ~: 1}\n"),
    # config and rule packs (found by hypothesis): schema errors were sorted by their path, which compares
    # an int key with a str key (`analyzers: {1: 5, a: 6}`) -> TypeError. Paths now sort as typed tuples.
    "config-int-and-str-keys-in-one-mapping": ("config", b"analyzers: {1: 5, a: 6}\n"),
    "config-int-and-str-keys-nested": ("config", b"rules: {severity: {1: x, a: y}}\n"),
}
