"""Extract the translatable strings and keep every shipped catalog in step with them.

    python scripts/messages.py update   # write messages.pot, add new strings to every .po
    python scripts/messages.py check    # exit 1, naming each, if a catalog misses a translation,
                                        # keeps a fuzzy one or holds a string no longer used
    python scripts/messages.py fill F   # take translations from a JSON file:
                                        # {"msgid": {"ja": "…", "ar": ["one", …, "other"]}}

Strings come from the templates of portal, console and the shared web pages (``_()``,
``{% trans %}``) and from the Python of the entrypoints (``_()``, ``N_()``, and
``translate(language, "…")`` / ``translate_plural(language, "…", "…", n)``).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "plansmith" / "entrypoints"
LOCALE_DIR = SOURCE / "webui" / "locale"
TEMPLATE = LOCALE_DIR / "messages.pot"
LANGUAGES = ("ja", "vi", "tr", "ar")
METHODS = [
    ("**/templates/**.html", "jinja2"),
    ("**.py", "python"),
]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}
KEYWORDS = {
    "_": None,
    "N_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "translate": (2,),
    "translate_plural": (2, 3),
}
# Fixed, so that running `update` twice changes nothing.
STAMP = datetime(2026, 1, 1, tzinfo=UTC)


def extracted() -> Catalog:
    catalog = Catalog(project="plansmith", creation_date=STAMP, fuzzy=False)
    found = extract_from_dir(
        SOURCE, METHODS, OPTIONS, KEYWORDS, comment_tags=("Translators:",), strip_comment_tags=True
    )
    for filename, lineno, message, comments, context in found:
        where = (str(Path("entrypoints") / filename), lineno)
        catalog.add(message, None, [where], auto_comments=comments, context=context)
    return catalog


def read(path: Path, language: str) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=language)


def write(path: Path, catalog: Catalog, *, locations: bool = False) -> None:
    """Sorted, and without source lines in the catalogs: moving a string in a template does not
    touch four translated files (the template keeps the lines, for translators)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as po:
        write_po(po, catalog, width=100, sort_output=True, no_location=not locations)


def update() -> None:
    template = extracted()
    write(TEMPLATE, template, locations=True)
    for language in LANGUAGES:
        path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
        if path.exists():
            catalog = read(path, language)
        else:
            catalog = Catalog(
                locale=language, project="plansmith", creation_date=STAMP, fuzzy=False
            )
        catalog.revision_date = STAMP
        # No fuzzy guesses: a changed string waits for a person, and `check` says so.
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        write(path, catalog)


def problems() -> list[str]:
    wanted = {message.id for message in extracted() if message.id}
    found: list[str] = []
    for language in LANGUAGES:
        path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
        if not path.exists():
            found.append(f"{language}: no catalog at {path.relative_to(ROOT)}")
            continue
        catalog = read(path, language)
        have = {message.id: message for message in catalog if message.id}
        for key in sorted(wanted - have.keys(), key=str):
            found.append(f"{language}: missing {key!r}")
        for key in sorted(have.keys() - wanted, key=str):
            found.append(f"{language}: stale {key!r} (no longer in the source)")
        for key in sorted(wanted & have.keys(), key=str):
            message = have[key]
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy:
                found.append(f"{language}: fuzzy {key!r}")
            elif not all(strings):
                found.append(f"{language}: untranslated {key!r}")
        for error in catalog.check():
            message, messages = error
            found.append(f"{language}: {message.id!r}: {'; '.join(map(str, messages))}")
    return found


def fill(path: Path) -> int:
    """Put translations from a JSON file into the catalogs (after `update`); returns how many
    msgids it did not find in a catalog."""
    given: dict[str, dict[str, str | list[str]]] = json.loads(path.read_text(encoding="utf-8"))
    unknown = 0
    for language in LANGUAGES:
        po_path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
        catalog = read(po_path, language)
        for key, texts in given.items():
            if language not in texts:
                continue
            # A plural may be keyed "singular|plural".
            message = catalog.get(key.split("|", 1)[0] if "|" in key else key)
            if message is None:
                # A plural's id is its singular; a JSON key may name either form.
                message = next(
                    (m for m in catalog if isinstance(m.id, tuple) and key in m.id), None
                )
            if message is None:
                unknown += 1
                print(f"{language}: no message {key!r} in the catalog (run update first)")
                continue
            text = texts[language]
            message.string = tuple(text) if isinstance(text, list) else text
            message.flags.discard("fuzzy")
        write(po_path, catalog)
    return unknown


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        update()
        return 0
    if command == "fill" and len(argv) > 2:
        return 1 if fill(Path(argv[2])) else 0
    if command == "check":
        found = problems()
        for line in found:
            print(line)
        if found:
            print(f"{len(found)} catalog problem(s); run `make messages`, then translate")
        return 1 if found else 0
    print(f"unknown command {command!r}: use update, check or fill FILE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
