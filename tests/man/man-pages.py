#!/usr/bin/env python3
"""The man pages against the code they describe (suite man-pages).

Every page must lint clean at mandoc's warning level (errors and warnings;
style messages such as "referenced manual not found" depend on what is
installed). Then each page, as mandoc renders it, must name:

  mmlctl(8)        every object and verb, and every keyword of their
                   arguments, as the binary's own `mmlctl help` prints
                   them; every key of `snoop set`; every option of its
                   getopt string and long options
  mmlkeyd(8)       every option of its getopt string
  mmlworker(8)     every long option of both roles (worker/main.c,
                   worker/fa_main.c) and the short ones
  mmlkeyd.conf(5)  every setting mmlkeyd looks up (keyd/, keyd/ike/: the
                   cfg_*() readers, libconfig lookups, the peer settings
                   list, the module sections)

A name missing from its page is a FAIL line naming it.

    man-pages.py [MMLCTL]     (default build/mmlctl)"""
import glob
import re
import subprocess
import sys

MMLCTL = sys.argv[1] if len(sys.argv) > 1 else "build/mmlctl"
PAGES = ["man/mmlctl.8", "man/mmlkeyd.8", "man/mmlworker.8", "man/mmlkeyd.conf.5"]
passed = failed = 0


def ok(text):
    global passed
    passed += 1
    print("PASS", text)


def bad(text):
    global failed
    failed += 1
    print("FAIL", text)


def read(path):
    with open(path) as f:
        return f.read()


def rendered(page):
    """The page as a reader sees it: plain text, wide enough that no
    synopsis is broken between an object and its verb, blanks squeezed."""
    out = subprocess.run(["mandoc", "-T", "ascii", "-O", "width=400", page],
                         capture_output=True, text=True, check=True).stdout
    out = re.sub(r".\x08", "", out)  # overstrike (bold, underline)
    return re.sub(r"\s+", " ", out)


def named(text, word, after=""):
    """word as a whole word of text (options: '-' is part of a word)."""
    return re.search(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])" + after, text) is not None


def check_words(page, text, what, words, after=""):
    """Each of words named in text, followed by the pattern after."""
    missing = [w for w in sorted(set(words)) if not named(text, w, after)]
    if not words:
        bad(f"{page}: no {what} found in the code (extraction broken?)")
    elif missing:
        bad(f"{page}: {what} missing: {', '.join(missing)}")
    else:
        ok(f"{page}: all {len(set(words))} {what}")


def lint():
    for page in PAGES:
        r = subprocess.run(["mandoc", "-T", "lint", "-W", "warning", page],
                           capture_output=True, text=True)
        msgs = [l for l in (r.stdout + r.stderr).splitlines() if "mandoc.db" not in l]
        if r.returncode == 0 and not msgs:
            ok(f"{page}: mandoc -T lint -W warning clean")
        else:
            bad(f"{page}: mandoc -T lint: " + " | ".join(msgs))


def short_opts(getopt_string):
    return ["-" + c for c in getopt_string if c.isalnum()]


def long_opts(source):
    return ["--" + n for n in re.findall(r'\{\s*"([a-z-]+)",\s*(?:no|required|optional)_argument',
                                          source)]


def mmlctl():
    page = "man/mmlctl.8"
    text = rendered(page)
    usage = subprocess.run([MMLCTL, "help"], capture_output=True, text=True).stdout
    pairs, keywords = {}, []
    for line in usage.splitlines():
        m = re.match(r"^  mmlctl (\S+) (\S+) ?(.*)$", line)
        if not m:
            continue
        # The arguments end where a comment starts: two blanks or "(".
        args = re.split(r"\s{2,}|\(", m[3])[0]
        words = [w for w in re.split(r"[\s\[\]|,]+", args) if re.fullmatch(r"-*[a-z][a-z0-9_-]*", w)]
        pairs[f"{m[1]} {m[2]}"] = words
        keywords += words
    if len(pairs) < 20:
        bad(f"mmlctl help: only {len(pairs)} object/verb lines ({MMLCTL})")
    missing = [p for p in pairs if p not in text]
    if missing:
        bad(f"{page}: object and verb missing: {', '.join(missing)}")
    elif pairs:
        ok(f"{page}: all {len(pairs)} objects with their verbs of mmlctl help")
    check_words(page, text, "keywords of mmlctl help", keywords)
    # Each verb's synopsis in the page (its item: "OBJECT VERB" and what
    # follows, up to the first full stop) has every keyword of its usage.
    short = []
    for pair, words in pairs.items():
        spans = [text[m.end():].split(". ")[0] for m in re.finditer(re.escape(pair) + r"(?![\w-])", text)]
        if not any(all(named(sp, w) for w in words) for sp in spans):
            short.append(pair)
    if short:
        bad(f"{page}: no synopsis with all the keywords of: {', '.join(short)}")
    else:
        ok(f"{page}: a synopsis with every keyword for each of the {len(pairs)} verbs")
    keys = re.search(r'mml_snoop_cfg_keys\[\] = ((?:\s*"[^"]*")+);', read("lib/snoop_cfg.c"))
    snoop = re.findall(r"[a-z][a-z_]+", "".join(re.findall(r'"([^"]*)"', keys[1]))) if keys else []
    check_words(page, text, "snoop set keys", snoop)
    src = read("loader/mmlctl.c")
    m = re.search(r'getopt_long\(argc, argv, "\+?([^"]*)"', src)
    check_words(page, text, "options", short_opts(m[1] if m else "") + long_opts(src) + ["--version", "-V"])


def mmlkeyd():
    page = "man/mmlkeyd.8"
    m = re.search(r'getopt\(argc, argv, "([^"]*)"', read("keyd/mmlkeyd.c"))
    check_words(page, rendered(page), "options", short_opts(m[1] if m else "") + ["--version", "-V"])


def mmlworker():
    page = "man/mmlworker.8"
    opts = ["--version", "-V"]
    for path in ["worker/main.c", "worker/fa_main.c"]:
        src = read(path)
        opts += long_opts(src)
        m = re.search(r'getopt_long\(argc, argv, "([^"]*)"', src)
        opts += short_opts(m[1] if m else "")
    check_words(page, rendered(page), "options", opts)


def settings():
    """Every setting name mmlkeyd reads (keyd/mmlike is another program)."""
    names = []
    for path in glob.glob("keyd/*.c") + glob.glob("keyd/ike/*.c"):
        src = read(path)
        names += re.findall(r'\bcfg_(?:str|ipv4|u32|ifname|bool|choice)\([^,()]+,\s*"(\w+)"', src)
        # The first argument may hold one call (config_root_setting(&c)); a
        # name computed at run time (config_setting_name(m)) is no setting.
        names += re.findall(
            r'\bconfig_setting_(?:get_member|lookup)\(\s*(?:[^,()]|\([^()]*\))+,\s*"(\w+)"', src
        )
        names += re.findall(r'\bmip_fh_from_config\([^,]+,\s*"(\w+)"', src)
        names += re.findall(r'const struct keyd_module \w+ = \{\s*\.name = "(\w+)"', src)
        lst = re.search(r"peer_settings\[\] = \{(.*?)\};", src, re.S)
        if lst:
            names += re.findall(r'"(\w+)"', lst[1])
    return names


def conf():
    page = "man/mmlkeyd.conf.5"
    # As the page gives a setting: "name = value".
    check_words(page, rendered(page), "settings mmlkeyd reads", settings(), r" ?=")


lint()
mmlctl()
mmlkeyd()
mmlworker()
conf()
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
