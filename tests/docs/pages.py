"""The documentation as the docs tests read it: README.md and docs/*.md, their fenced code blocks (with the marker on
the line before each), their links and headings, and the text outside code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from markdown.extensions.toc import slugify

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
SHELL = ("sh", "bash", "shell", "console")

FENCE = re.compile(r"^```(\S*)\s*$")
MARKER = re.compile(r"^<!--\s*(runs in|needs):\s*(.+?)\s*-->$")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
CODE_SPAN = re.compile(r"`[^`]*`")


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    language: str
    text: str
    marker: tuple[str, str] | None  # ("runs in" | "needs", what), from the line just before the fence

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    def commands(self) -> list[str]:
        """Its lines without comments and blank lines."""
        return [line for line in self.text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def blocks(page: Path) -> list[Block]:
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
        before = MARKER.match(lines[index - 1].strip()) if index else None
        marker = (before.group(1), before.group(2)) if before else None
        text = "\n".join(lines[index + 1 : end])
        found.append(Block(page, index + 1, opening.group(1), text, marker))
        index = end + 1
    return found


def shell_blocks() -> list[Block]:
    return [block for page in PAGES for block in blocks(page) if block.language in SHELL]


def prose(page: Path) -> str:
    """The page without its code blocks (a command's text is read from the blocks themselves)."""
    kept: list[str] = []
    inside = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line) or (inside and line.startswith("```")):
            inside = not inside
            continue
        if not inside:
            kept.append(line)
    return "\n".join(kept)


def anchors(page: Path) -> set[str]:
    """The ids MkDocs gives the page's headings (Python-Markdown's toc); GitHub's are the same for these pages."""
    found = set()
    for line in prose(page).splitlines():
        heading = HEADING.match(line)
        if heading:
            text = re.sub(r"[`*]", "", heading.group(2))
            text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
            found.add(slugify(text, "-"))
    return found


def links(page: Path) -> list[str]:
    """Every link target in the page's prose (not in code spans or blocks)."""
    return LINK.findall(CODE_SPAN.sub("", prose(page)))
