"""The command line refuses numbers above the bounds of domain/limits.py and text that cannot be
stored with one line on stderr naming the field, exit status 1, and nothing written; a catalog
file names the path of every such value."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from plansmith.entrypoints.cli.main import app
from tests.e2e.subscriptions_cli_support import ORG, Demo, demo, sub
from tests.e2e.subscriptions_cli_support import counts as subscription_counts
from tests.e2e.test_catalog_cli import CATALOG, database, org, write
from tests.e2e.test_catalog_cli import counts as catalog_counts

__all__ = ["database", "demo", "org"]  # fixtures
runner = CliRunner()
BOUND = "quantity is at most 1,000,000"


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--quantity", "99999999999"], f"error (quantity): {BOUND}"),
        (["--quantity", "2147483648"], f"error (quantity): {BOUND}"),
        (["--quantity", "1" + "0" * 5000], f"error (quantity): {BOUND}"),
        (
            ["--add-on", "call-recording=1000001"],
            "error (add_ons.call-recording): an add-on quantity is at most 1,000,000",
        ),
    ],
)
def test_too_many_seats_is_one_line_naming_the_bound_and_writes_nothing(
    demo: Demo, args: list[str], line: str
) -> None:
    before = subscription_counts(demo.url)

    code, stdout, stderr = sub(
        "create", "--org", ORG, "--account", demo.sakura, "--plan", "cc-1", *args
    )

    assert (code, stdout, stderr.strip()) == (1, "", line)
    assert subscription_counts(demo.url) == before


def test_text_that_cannot_be_stored_is_one_line_naming_the_field(demo: Demo) -> None:
    created = runner.invoke(app, ["org", "create", "Acme\udcff"])  # argv bytes not UTF-8
    looked_up = runner.invoke(app, ["sub", "list", "--org", "Acme\x00"])

    assert created.exit_code == 1 and not isinstance(created.exception, UnicodeError)
    assert created.stderr.strip() == (
        "error (name): name contains a lone surrogate (U+DCFF), which is not valid Unicode"
    )
    assert looked_up.exit_code == 1
    assert looked_up.stderr.strip() == (
        "error (invalid_text): a text value contains a NUL character (U+0000), which cannot be "
        "stored"
    )


def test_a_catalog_file_with_huge_numbers_names_each_path_and_bound(
    org: str, database: str, tmp_path: Path
) -> None:
    huge = (
        CATALOG.replace("{USD: 1999, JPY: 3000}", "{USD: 9223372036854775808, JPY: 3000}")
        .replace("amount: 2799}", "amount: 10000000000000000000000000000000000000000}")
        .replace("{scans: 30, incoming", "{scans: 30000000000000, incoming")
        .replace("amount: 25}", "amount: 2000000000000}")
    )
    path = write(tmp_path, huge)

    result = runner.invoke(app, ["catalog", "apply", path, "--org", org, "--yes"])

    assert result.exit_code == 1
    assert [line.removeprefix(f"{path}: ") for line in result.stderr.splitlines()] == [
        "plans[0].terms.base_prices.USD: a price is at most 10,000,000,000 minor units",
        "plans[1].terms.prices[1].amount: a price is at most 10,000,000,000 minor units",
        "plans[1].terms.allowances.scans: scans is at most 1,000,000,000,000",
        "extra_packs[0].amount: an extra pack's amount is at most 1,000,000,000,000",
    ]
    assert catalog_counts(database) == dict.fromkeys(catalog_counts(database), 0)
