"""Every link between the README and the docs resolves, to a file and to a heading of it. The strict site build
checks docs/ too (test_site.py); this also covers README.md, which GitHub shows and the site does not build."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.pages import DOCS, PAGES, README, ROOT, anchors, links

EXTERNAL = ("http://", "https://", "mailto:")


def broken(page: Path) -> list[str]:
    found = []
    for target in links(page):
        if target.startswith(EXTERNAL):
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            found.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            found.append(f"{target}: no heading #{anchor} in {resolved.name}")
        elif page.parent == DOCS and not resolved.is_relative_to(DOCS):
            found.append(f"{target}: outside docs/, which the site does not hold")
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_internal_link_resolves(page: Path) -> None:
    assert not broken(page)


def test_the_readme_links_every_docs_page() -> None:
    linked = {(README.parent / target.partition("#")[0]).resolve() for target in links(README)}
    assert set(DOCS.glob("*.md")) - {DOCS / "index.md"} <= linked


def test_a_link_to_a_missing_heading_is_caught(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text("# Other\n\n## A heading\n", encoding="utf-8")
    page.write_text("[fine](other.md#a-heading), [gone](other.md#gone), [none](missing.md)\n", encoding="utf-8")
    assert broken(page) == ["other.md#gone: no heading #gone in other.md", "missing.md: no such file"]
