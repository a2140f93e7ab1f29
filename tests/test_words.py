"""The message catalogues: both languages say everything, with the same parameters; numbers,
percentages, kroner and dates by locale; Danish alphabetical order."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest

from boligsocial.common.words import LANGUAGES, catalogue_entries, language, sort_key, words

PARAMETER = re.compile(r"\{(\w+)\}")


def test_every_key_is_in_every_language_with_the_same_parameters_and_a_text() -> None:
    keys = {lang: {key: text for key, text, _ in catalogue_entries(lang)} for lang in LANGUAGES}
    da, en = keys["da"], keys["en"]
    assert len(da) > 150
    assert sorted(set(da) - set(en)) == [] and sorted(set(en) - set(da)) == []
    empty = [(lang, k) for lang in LANGUAGES for k, t in keys[lang].items() if not t.strip()]
    assert empty == []
    differ = [k for k in da if set(PARAMETER.findall(da[k])) != set(PARAMETER.findall(en[k]))]
    assert differ == []


def test_each_key_lives_in_one_file_of_the_same_name_in_both_languages() -> None:
    files = {lang: {key: source for key, _, source in catalogue_entries(lang)} for lang in LANGUAGES}
    assert files["da"] == files["en"]


def test_a_message_fills_its_parameters_and_a_missing_key_is_an_error() -> None:
    da, en = words("da"), words("en")
    assert da("web.users_unlocked", user="kim") == "kim er låst op."
    assert en("web.users_unlocked", user="kim") == "kim is unlocked."
    with pytest.raises(KeyError, match=re.escape("no message 'web.nonsense'")):
        da("web.nonsense")


@pytest.mark.parametrize(
    ("lang", "number", "percent", "kroner", "date"),
    [
        ("da", "1.234,5", "12,3 %", "26.364 kr.", "7. december 2026"),
        ("en", "1,234.5", "12.3%", "DKK 26,364", "7 December 2026"),
    ],
)
def test_numbers_and_dates_are_written_as_the_language_writes_them(
    lang: str, number: str, percent: str, kroner: str, date: str
) -> None:
    w = words(lang)
    assert w.number(1234.5, 1) == number
    assert w.percent(0.1234) == percent
    assert w.kroner(26363.6) == kroner
    assert w.date(dt.date(2026, 12, 7)) == date
    assert w.number(None) == w.percent(None) == w.kroner(None) == "–"


def test_names_sort_in_danish_alphabetical_order() -> None:
    names = [
        "Østbyen",
        "Aabenraa",
        "Åbyen",
        "Zealand",
        "Æblehaven",
        "Engparken",
        "Ørby",
        "aalborg",
        "Ebeltoft",
    ]
    # Æ, Ø, Å after Z; "aa" is "å" (Aabenraa = Åbenrå after Åbyen: "be" < "by"; aalborg = ålborg)
    assert sorted(names, key=sort_key) == [
        "Ebeltoft",
        "Engparken",
        "Zealand",
        "Æblehaven",
        "Ørby",
        "Østbyen",
        "Aabenraa",
        "Åbyen",
        "aalborg",
    ]


def test_a_language_is_chosen_from_a_code_or_falls_back_to_danish() -> None:
    assert language("en-GB") == language("en_US") == language("EN") == "en"
    assert language("de") == language(None) == language("") == "da"


SRC = Path(__file__).parent.parent / "src" / "boligsocial"
WEB = SRC / "outputs" / "web"
#: Names that are the same in every language (file formats), and the scripts' technical strings.
SAME_IN_EVERY_LANGUAGE = {"GeoPackage", "GeoJSON", "Excel", "CSV", "API", "PDF"}
TECHNICAL = {"use strict", "xMidYMid meet"}
JS_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"|\'((?:[^\'\\\n]|\\.)*)\'|`((?:[^`\\]|\\.)*)`', re.S)


def test_no_template_writes_a_word_of_its_own() -> None:
    """Every word a template shows comes from `t` (the catalogues): text between tags and the
    attributes a user reads (title, aria-label, alt, placeholder) hold no letters of their own."""
    found = []
    for path in sorted((WEB / "templates").glob("*.html")):
        html = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", path.read_text(encoding="utf-8"), flags=re.S)
        html = re.sub(r"<script\b.*?</script>|<style\b.*?</style>", " ", html, flags=re.S)
        shown = re.findall(r'(?:title|aria-label|alt|placeholder)="([^"]*)"', html)
        shown += re.sub(r"<[^>]*>", "\n", html).splitlines()
        for text in shown:
            words = set(re.findall(r"[^\W\d_]{2,}", text)) - SAME_IN_EVERY_LANGUAGE
            if words:
                found.append((path.name, text.strip()))
    assert found == []


def test_no_script_writes_a_word_of_its_own() -> None:
    """The pages' scripts take every word from `T` (the catalogues): no string literal with Danish
    letters or with words in a phrase, and no literal set as an element's text."""
    found = []
    for path in sorted((WEB / "static").glob("*.js")):
        source = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
        source = re.sub(r"(?m)^\s*//.*$", "", source)
        for match in JS_STRING.finditer(source):
            text = next(g for g in match.groups() if g is not None)
            if match.group(3) is not None:  # a template literal: only its own parts
                text = re.sub(r"\$\{[^}]*\}", " ", text)
            if text in TECHNICAL or text.startswith(("<pattern", "patternTransform")):
                continue
            if re.search(r"[æøåÆØÅ]", text) or re.search(r"[^\W\d_]{2,} [^\W\d_]{2,}", text):
                found.append((path.name, text))
        found += [
            (path.name, m) for m in re.findall(r'(?:text:|textContent =)\s*"([^"]*[^\W\d_][^"]*)"', source)
        ]
    assert found == []


#: The exceptions that refuse a question with a stable code (common/errors, web/auth, web/jobs, export).
REFUSALS = {
    "RequestError",
    "NotFound",
    "InvalidParameter",
    "NotPermitted",
    "Unauthorised",
    "Forbidden",
    "Throttled",
    "ExportBusy",
    "AudienceRefused",
}


def test_every_error_code_raised_has_a_message_in_both_languages() -> None:
    """Each code a refusal is raised with (`NotFound("unknown-layer", …)`) has its message in
    errors.po in Danish and English, with the parameters the raise gives."""
    import ast
    from pathlib import Path

    root = Path(__file__).parent.parent / "src" / "boligsocial"
    raised: dict[str, set[str]] = {}
    for module in root.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args):
                continue
            code = node.args[0]
            if node.func.id in REFUSALS and isinstance(code, ast.Constant) and isinstance(code.value, str):
                params = next((k.value for k in node.keywords if k.arg == "params"), None)
                given = params.keys if isinstance(params, ast.Dict) else []
                names = {str(k.value) for k in given if isinstance(k, ast.Constant)}
                raised.setdefault(code.value, set()).update(names)
    # the year checks build their codes from what is checked (`valid_year`)
    for what in ("year", "list-year", "move-year", "forecast-year"):
        raised.setdefault(f"no-{what}", set())
        raised.setdefault(f"{what}-out-of-range", set()).update({"year", "first", "last"})
    assert len(raised) >= 30
    for lang in ("da", "en"):
        say = words(lang)
        missing = sorted(c for c in raised if not say.has(f"error.{c}"))
        assert missing == [], (lang, missing)
        for code, names in raised.items():
            asked = set(re.findall(r"\{(\w+)\}", say.messages[f"error.{code}"]))
            assert asked <= names, (lang, code, asked, names)


#: Where Danish text in Python is data, not words a user is told: the example municipality's fictive
#: place, school and person names, the Danish words a password may not be built from, and the
#: letters Danish alphabetical order puts after z.
DANISH_DATA: dict[str, tuple[str, ...] | None] = {
    "example/names.py": None,
    "example/geography.py": None,
    "example/story.py": None,
    "publish/access/passwords.py": ("DANISH_WORDS",),
    "common/words.py": ("_AFTER_Z", "_AA"),
}
#: Words that mark a phrase as Danish (none of them is an English word).
DANISH_MARKERS = re.compile(
    r"\b(og|ikke|eller|skal|fejl|mangler|findes|ugyldig|ukendt|kan|af|fra|som|har|mindst|højst"
    r"|Beregner|Gemmer|Skriver|Samler|Læser|Placerer)\b"
)


def _docstrings(tree: ast.AST) -> set[int]:
    bodies = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, bodies)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def test_no_python_module_writes_a_danish_word_of_its_own() -> None:
    """Every word the Python code says to a user (errors, progress, tables, comments in a
    publication) comes from the catalogues: no string outside a docstring has Danish letters or is
    a phrase with a Danish word in it, except where Danish text is data (`DANISH_DATA`)."""
    found = []
    for module in sorted(SRC.rglob("*.py")):
        name = module.relative_to(SRC).as_posix()
        if name in DANISH_DATA and DANISH_DATA[name] is None:
            continue
        tree = ast.parse(module.read_text(encoding="utf-8"))
        skip = _docstrings(tree)
        for node in ast.walk(tree):  # the data assignment's strings are not words
            targets = node.targets if isinstance(node, ast.Assign) else []
            if any(isinstance(t, ast.Name) and t.id in (DANISH_DATA.get(name) or ()) for t in targets):
                skip |= {id(n) for n in ast.walk(node)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)) or id(node) in skip:
                continue
            text = node.value
            if re.search(r"[æøåÆØÅ]", text) or (" " in text.strip() and DANISH_MARKERS.search(text)):
                found.append(f"{name}:{node.lineno}: {text[:60]!r}")
    assert found == []


def test_a_stage_or_problem_key_in_the_code_is_in_both_catalogues() -> None:
    """A key the Python code names as a literal (`progress("stage.lists", …)`, `Issue(path,
    "config.unknown_key")`, `both("system.no_user", …)`) has its message in Danish and English."""
    key = re.compile(r"^(stage|config|system|postgis\.stage)\.[\w.]+$")
    named = set()
    for module in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and key.match(node.value):
                named.add(node.value)
    assert len(named) > 60
    for lang in LANGUAGES:
        assert sorted(k for k in named if not words(lang).has(k)) == [], lang
