"""The README and docs/*.md link only inside the repository, to files that
exist and headings that exist; the README stays a front door (at most 400
lines). Exits 1 naming every broken link."""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def anchors(path):
    """GitHub's anchors of a Markdown file's headings (outside code blocks)."""
    found, in_code = set(), False
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and re.match(r"#{1,6} ", line):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return found


def problems(page):
    for target in LINK.findall(page.read_text()):
        if re.match(r"[a-z]+:", target):
            yield f"{page.relative_to(ROOT)}: {target} leaves the repository"
            continue
        file, _, anchor = target.partition("#")
        dest = (page.parent / file).resolve() if file else page
        if ROOT not in dest.parents and dest != ROOT:
            yield f"{page.relative_to(ROOT)}: {target} leaves the repository"
        elif not dest.exists():
            yield f"{page.relative_to(ROOT)}: {target}: no such file"
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            yield f"{page.relative_to(ROOT)}: {target}: no such heading"


def main():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    found = [p for page in pages for p in problems(page)]
    lines = len((ROOT / "README.md").read_text().splitlines())
    if lines > 400:
        found.append(f"README.md: {lines} lines; the front door holds at most 400")
    for problem in found:
        print(problem)
    print(f"{len(pages)} pages, {len(found)} problems")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
