"""The translation catalogs: extract, update, compile, count, and the tests' pseudo-locale.

    python packaging/i18n/catalogs.py extract    the source's messages -> resources/locale/overfit_lab.pot
    python packaging/i18n/catalogs.py update     merge the .pot into every language's .po (new ones made)
    python packaging/i18n/catalogs.py compile    every .po -> .mo beside it (make catalogs; bundle, kits)
    python packaging/i18n/catalogs.py stats      how much of the catalog each language translates
    python packaging/i18n/catalogs.py pseudo DIR the pseudo-locale "qps" (⟦Ŝţåŗţ··⟧) into DIR

Messages come from the code (Babel reads _, N_, n_, C_ and the `# i18n:` comments above them)
and from data the window translates as it shows it: settings' labels, help and choices, the
presets and the lessons (packaging/i18n/resource_messages.py). The headless command line
(engine/cli) stays English and is not extracted.
"""

from __future__ import annotations

import argparse
import io
import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from babel.messages.catalog import Catalog  # noqa: E402
from babel.messages.extract import extract_from_dir  # noqa: E402
from babel.messages.mofile import write_mo  # noqa: E402
from babel.messages.pofile import read_po, write_po  # noqa: E402

from engine.core.i18n import DOMAIN, ENGLISH, LANGUAGES, mismatched  # noqa: E402

LOCALE = ROOT / "resources" / "locale"
TEMPLATE = LOCALE / f"{DOMAIN}.pot"
KEYWORDS = {"_": None, "N_": None, "n_": (1, 2), "C_": ((1, "c"), 2)}
SOURCES = {"gui": [("**.py", "python")], "engine": [("cli/**.py", "ignore"), ("**.py", "python")]}
PSEUDO = "qps"


def _new_catalog(locale: str | None = None) -> Catalog:
    return Catalog(locale=locale, domain=DOMAIN, project="Overfit Lab", version="0.1",
                   msgid_bugs_address="", copyright_holder="Overfit Lab", charset="utf-8")


def extract() -> Catalog:
    catalog = _new_catalog()
    for folder, method_map in SOURCES.items():
        for filename, lineno, message, comments, context in extract_from_dir(
                str(ROOT / folder), method_map, keywords=KEYWORDS, comment_tags=("i18n:",),
                strip_comment_tags=True):
            catalog.add(message, None, [(f"{folder}/{filename}", lineno)], auto_comments=comments, context=context)
    try:
        from resource_messages import messages
    except ImportError:  # (while packaging/i18n/resource_messages.py is being written)
        print("warning: no resource messages", file=sys.stderr)
        return catalog
    for message, context, path, lineno, comments in messages(ROOT):
        catalog.add(message, None, [(path, lineno)], auto_comments=comments, context=context)
    return catalog


def write_template() -> Catalog:
    catalog = extract()
    for message in catalog:  # every field is {named}: a "%" is text, not a printf field
        message.flags.discard("python-format")
    LOCALE.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=False, sort_output=False, include_lineno=True)
    TEMPLATE.write_bytes(buffer.getvalue())
    print(f"{TEMPLATE.relative_to(ROOT)}: {len(catalog)} messages")
    return catalog


def po_path(code: str) -> Path:
    return LOCALE / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(path: Path, code: str | None = None) -> Catalog:
    with open(path, "rb") as fp:
        return read_po(fp, locale=code)


def update() -> None:
    template = read(TEMPLATE)
    for code in LANGUAGES:
        if code == ENGLISH:
            continue
        path = po_path(code)
        if path.is_file():
            catalog = read(path, code)
            catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        else:
            catalog = _new_catalog(code)
            catalog.update(template, no_fuzzy_matching=True)
            path.parent.mkdir(parents=True, exist_ok=True)
        # Obsolete messages are dropped: a string that left the code leaves the catalog.
        catalog.obsolete.clear()
        buffer = io.BytesIO()
        write_po(buffer, catalog, width=100, include_lineno=True)
        path.write_bytes(buffer.getvalue())
        print(f"{path.relative_to(ROOT)}: {_counted(catalog)}")


def _is_translated(message) -> bool:
    if not message.id or message.fuzzy:
        return False
    strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    return all(strings)


def _counted(catalog: Catalog) -> str:
    total = sum(1 for m in catalog if m.id)
    done = sum(1 for m in catalog if _is_translated(m))
    return f"{done} of {total} translated ({100 * done / max(total, 1):.1f} %)"


def problems(catalog: Catalog) -> list[str]:
    """Translations whose named fields differ from their source's (they would raise, or
    lose a figure, when formatted)."""
    found = []
    for message in catalog:
        if not _is_translated(message):
            continue
        if isinstance(message.id, (tuple, list)):
            singular, plural = message.id
            for form in message.string:
                why = mismatched(singular, form, plural_source=plural)
                if why:
                    found.append(f"{message.id[0]!r} -> {form!r}: {why}")
        else:
            why = mismatched(message.id, message.string)
            if why:
                found.append(f"{message.id!r} -> {message.string!r}: {why}")
    return found


def compile_all(codes=None) -> int:
    failed = 0
    for code in codes or [c for c in LANGUAGES if c != ENGLISH]:
        path = po_path(code)
        if not path.is_file():
            print(f"{code}: no catalog at {path.relative_to(ROOT)}", file=sys.stderr)
            failed += 1
            continue
        catalog = read(path, code)
        bad = problems(catalog)
        for line in bad:
            print(f"{path.relative_to(ROOT)}: {line}", file=sys.stderr)
        failed += bool(bad)
        with open(path.with_suffix(".mo"), "wb") as fp:
            write_mo(fp, catalog, use_fuzzy=False)
    return 1 if failed else 0


ACCENTED = dict(zip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
                    "åƀçðéƒĝĥîĵķļɱñöþǫŗšţûṽŵẋýžÅßÇÐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ", strict=True))
# What a pseudo-translation keeps as it is: fields, HTML tags and entities, escapes.
KEEP = re.compile(r"\{[^{}]*\}|<[^<>]*>|&[a-z]+;|&#\d+;|%\(\w+\)[sdf]|\\n")


def pseudo_text(text: str) -> str:
    """⟦Ŝţåŗţ··⟧: every letter accented, 40 % longer, bracketed; fields and tags kept."""
    if not text:
        return text
    out, last = [], 0
    for match in KEEP.finditer(text):
        out.append("".join(ACCENTED.get(ch, ch) for ch in text[last:match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append("".join(ACCENTED.get(ch, ch) for ch in text[last:]))
    body = "".join(out)
    lines = body.split("\n")
    lines = [line + "·" * math.ceil(0.4 * len(line)) if line else line for line in lines]
    return "⟦" + "\n".join(lines) + "⟧"


def pseudo(target: Path) -> Path:
    template = read(TEMPLATE) if TEMPLATE.is_file() else extract()
    catalog = _new_catalog("en")
    for message in template:
        if not message.id:
            continue
        if isinstance(message.id, (tuple, list)):
            string = tuple(pseudo_text(s) for s in message.id)
        else:
            string = pseudo_text(message.id)
        catalog.add(message.id, string, context=message.context)
    folder = target / PSEUDO / "LC_MESSAGES"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{DOMAIN}.mo", "wb") as fp:
        write_mo(fp, catalog)
    return folder / f"{DOMAIN}.mo"


def stats() -> int:
    for code in LANGUAGES:
        if code != ENGLISH and po_path(code).is_file():
            print(f"{code:6} {_counted(read(po_path(code), code))}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("extract", "update", "compile", "stats", "pseudo"))
    parser.add_argument("folder", nargs="?", help="pseudo: where to write the qps catalog")
    args = parser.parse_args(argv)
    if args.command == "extract":
        write_template()
    elif args.command == "update":
        update()
    elif args.command == "compile":
        return compile_all()
    elif args.command == "stats":
        return stats()
    elif args.command == "pseudo":
        if not args.folder:
            parser.error("pseudo needs a FOLDER")
        print(pseudo(Path(args.folder)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
