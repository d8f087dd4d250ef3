"""Every public error code lives in one registry, and the docs show exactly that registry.

The source is scanned: a code written inline where an error is raised or answered (instead of
naming a registry entry), compared with a code (`error.code == "required"`), or given as the
type of a PydanticCustomError fails here, whether it is registered or not, and so does a code
that nothing raises any more. The error table of docs/api.md must be the generated one, and every
code the other tables of the docs name must be registered with the status they give it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import cast

import pytest

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.error_codes import REGISTRY, ErrorCode
from plansmith.domain.kernel.errors import DomainError, InvalidValue
from plansmith.entrypoints.api import error_table
from plansmith.entrypoints.api.problems import UnknownErrorCode, problem

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "plansmith"
API_DOC = ROOT / "docs" / "api.md"
REGISTRY_FILE = SOURCE / "domain" / "kernel" / "error_codes.py"


def _modules() -> dict[Path, ast.Module]:
    return {
        path: ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(SOURCE.rglob("*.py"))
        if path != REGISTRY_FILE
    }


def _error_classes(modules: dict[Path, ast.Module]) -> set[str]:
    """Names of DomainError and every class that derives from it, anywhere in the source."""
    bases: dict[str, set[str]] = {}
    for module in modules.values():
        for node in ast.walk(module):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {
                    b.id if isinstance(b, ast.Name) else b.attr
                    for b in node.bases
                    if isinstance(b, ast.Name | ast.Attribute)
                }
    errors = {"DomainError"}
    while True:
        more = {name for name, parents in bases.items() if parents & errors} - errors
        if not more:
            return errors
        errors |= more


def _name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _inline_codes(modules: dict[Path, ast.Module]) -> list[tuple[str, str]]:
    """(where, code) of every code written as a string literal where errors are made."""
    errors = _error_classes(modules)
    found = []
    for path, module in modules.items():
        where = str(path.relative_to(ROOT))
        for node in ast.walk(module):
            literals: list[ast.expr] = []
            if isinstance(node, ast.Call) and _name(node.func) in errors:
                literals += [k.value for k in node.keywords if k.arg == "code"]
            if isinstance(node, ast.Call) and _name(node.func) == "problem":
                literals += node.args[1:2] + [k.value for k in node.keywords if k.arg == "code"]
            if isinstance(node, ast.ClassDef) and node.name in errors:
                literals += [
                    s.value
                    for s in node.body
                    if isinstance(s, ast.Assign | ast.AnnAssign)
                    and s.value is not None
                    and any(
                        isinstance(t, ast.Name) and t.id == "code"
                        for t in (s.targets if isinstance(s, ast.Assign) else [s.target])
                    )
                ]
            if isinstance(node, ast.Call) and _name(node.func) == "PydanticCustomError":
                literals += [_unwrap_str(a) for a in node.args[:1]]
                literals += [_unwrap_str(k.value) for k in node.keywords if k.arg == "error_type"]
            if isinstance(node, ast.Compare) and _compares_a_code(node):
                for side in [node.left, *node.comparators]:
                    literals += (
                        side.elts if isinstance(side, ast.Tuple | ast.List | ast.Set) else [side]
                    )
            found += [(f"{where}:{c.lineno}", cast(str, c.value)) for c in _strings(literals)]
    return found


def _unwrap_str(value: ast.expr) -> ast.expr:
    """``str("x")`` -> ``"x"``: the type of a PydanticCustomError written through str()."""
    if isinstance(value, ast.Call) and _name(value.func) == "str" and value.args:
        return value.args[0]
    return value


def _is_a_code(value: ast.expr) -> bool:
    """`code`, `error.code`, `exc.code`, `error_code(request)`: an expression that holds one."""
    if isinstance(value, ast.Call):
        value = value.func
    name = _name(value)
    return name == "code" or name.endswith("_code")


def _compares_a_code(node: ast.Compare) -> bool:
    """`code == "..."`, `error.code != "..."`, `exc.code in ("...", ...)`."""
    ops = (ast.Eq, ast.NotEq, ast.In, ast.NotIn)
    return all(isinstance(op, ops) for op in node.ops) and any(
        _is_a_code(side) for side in [node.left, *node.comparators]
    )


def _strings(values: list[ast.expr]) -> list[ast.Constant]:
    """The string constants among these expressions, also in `"a" if x else "b"`."""
    found = []
    for value in values:
        if isinstance(value, ast.IfExp):
            found += _strings([value.body, value.orelse])
        elif isinstance(value, ast.Constant) and isinstance(value.value, str):
            found.append(value)
    return found


def test_no_code_is_written_inline_in_the_source() -> None:
    inline = _inline_codes(_modules())
    assert inline == [], "\n".join(
        f"{where}: code {code!r} "
        + (
            f"is registered: write ec.{code.upper()}"
            if code in REGISTRY
            else "is not in plansmith/domain/kernel/error_codes.py: add it there, then name it"
        )
        for where, code in inline
    )


def test_the_scan_finds_codes_written_inline() -> None:
    """The scan itself: it sees an inline code in each place one could hide."""
    module = ast.parse(
        "class Refused(InvalidValue):\n    code = 'refused'\n"
        "raise Refused('no', code='made_up')\n"
        "raise Conflict('no', code='a' if x else 'b')\n"
        "problem(429, 'too_many', 'slow down')\n"
        "raise Conflict('no', code=ec.CONFLICT)\n"
        "PlanRef(id='x', code='bronze')\n"
        "if error.code == 'required' and field == 'prices': pass\n"
        "if error_code(request) != 'session_ended': pass\n"
        "if exc.code in ('link_used', ec.LINK_EXPIRED): pass\n"
        "PydanticCustomError('too_big', 'must be at most {maximum}')\n"
        "PydanticCustomError(str('gone'), 'no')\n"
        "PydanticCustomError(str(ec.TOO_LARGE), 'must be at most {maximum}')\n"
        "if plan.code == code and status == 'active': pass\n"
    )
    base = ast.parse("class InvalidValue(DomainError): ...\nclass Conflict(DomainError): ...")
    found = _inline_codes({SOURCE / "x.py": module, SOURCE / "y.py": base})
    assert sorted(code for _, code in found) == [
        "a",
        "b",
        "gone",
        "link_used",
        "made_up",
        "refused",
        "required",
        "session_ended",
        "too_big",
        "too_many",
    ]


def test_every_registered_code_is_raised_somewhere() -> None:
    text = "\n".join(path.read_text(encoding="utf-8") for path in _modules())
    named = set(re.findall(r"\bec\.([A-Z][A-Z0-9_]*)\b", text))
    unused = [str(code) for code in REGISTRY.values() if str(code).upper() not in named]
    assert unused == [], f"registered but never raised: {unused}"


def test_each_code_is_declared_once_with_a_status_and_a_one_line_meaning() -> None:
    declared = re.findall(r'^\w+ = _code\("(\w+)"', REGISTRY_FILE.read_text(), re.M)
    assert sorted(declared) == sorted(REGISTRY)
    for name, code in REGISTRY.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
        assert getattr(ec, name.upper()) is code
        assert code.status in (400, 401, 402, 403, 404, 405, 409, 422, 429, 500), name
        assert code.meaning and "\n" not in code.meaning, name


def test_the_error_table_in_the_api_docs_is_the_generated_one() -> None:
    text = API_DOC.read_text(encoding="utf-8")
    assert error_table.block() in text, (
        "docs/api.md's error table is not the registry's: run "
        "python -m plansmith.entrypoints.api.error_table --write docs/api.md"
    )
    assert error_table.replaced(text) == text


def test_every_code_the_docs_name_in_a_table_is_registered_with_that_status() -> None:
    wrong = []
    for doc in sorted((ROOT / "docs").glob("*.md")):
        for line in doc.read_text(encoding="utf-8").splitlines():
            row = re.match(r"\| (\d{3}) \| ((?:`\w+`(?:, )?)+) \|", line)
            if row is None:
                continue
            for name in re.findall(r"`(\w+)`", row.group(2)):
                code = REGISTRY.get(name)
                if code is None or code.status != int(row.group(1)):
                    wrong.append(f"{doc.name}: {row.group(1)} {name}")
    assert wrong == []


def test_a_code_nobody_declared_is_refused_where_errors_are_made() -> None:
    made_up = ErrorCode("made_up", 409, "not declared")
    with pytest.raises(KeyError):
        InvalidValue("no", code=made_up)
    with pytest.raises(UnknownErrorCode):
        problem(409, made_up, "no")
    with pytest.raises(UnknownErrorCode):
        problem(404, ec.CONFLICT, "a code answers with its own status only")


def test_an_error_answers_with_its_codes_status() -> None:
    assert InvalidValue("no such add-on", code=ec.UNKNOWN_REFERENCE).status == 422
    assert DomainError("taken", code=ec.DUPLICATE_CODE).status == 409
    assert ec.NOT_FOUND.status == 404
    assert ec.NOT_FOUND == "not_found" and f"{ec.NOT_FOUND}" == "not_found"
