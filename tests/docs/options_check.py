"""The options of pytest_shard_tests() that the docs show are those of
cmake/options.json, the one table of them: docs/cmake-api.md's table has a
row per option, in the table's order, with its syntax and default, and the
module's own reference (the RST of cmake/PytestShards.cmake) shows each in
its synopsis and explains it. Exits 1 naming every disagreement."""
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def syntax(option):
    """The option's words as the docs show them: `GRANULARITY shard|file|test`."""
    shown = "|".join(option["choices"]) if option["type"] == "choice" else option["syntax"]
    return f"{option['name']} {shown}"


def shown_default(option):
    """The default column of docs/cmake-api.md: `auto`, none, or nothing for lists."""
    default = option.get("default", "")
    if default not in ("", "0"):
        return f"`{default}`"
    return option.get("shown_default", "none" if option["values"] == "one" else "")


def api_rows(text):
    """(syntax, default) of each option row of the pytest_shard_tests() table,
    a combined row (`A <n>` / `B <n>`) as one row per option."""
    section = text.split("## `pytest_shard_tests()`", 1)[1]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            if rows:
                break
            continue
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        specs = re.findall(r"`([^`]+)`", cells[0])
        defaults = cells[1].split(" / ") if len(specs) > 1 else [cells[1]]
        for spec, default in zip(specs, defaults):
            if spec != "<name>":
                rows.append((spec.replace("\\|", "|"), default))
    return rows


def problems(options, api, module):
    expected = [(syntax(option), shown_default(option)) for option in options]
    for (want, want_default), got in zip(expected, api + [("(no row)", "")] * len(expected)):
        if got != (want, want_default):
            yield (f"docs/cmake-api.md: the row `{got[0]}` (default {got[1] or 'empty'}) "
                   f"should be `{want}` (default {want_default or 'empty'})")
            break  # one disagreement of order shifts every row after it
    for spec, _ in api[len(expected):]:
        yield f"docs/cmake-api.md: `{spec}` is no option of cmake/options.json"
    synopsis = module.split("pytest_shard_tests(<name>", 1)[1].split(")\n", 1)[0]
    for option in options:
        if f"[{syntax(option)}]" not in synopsis:
            yield f"cmake/PytestShards.cmake: the synopsis lacks [{syntax(option)}]"
        if f"\n  ``{syntax(option)}``\n" not in module:
            yield f"cmake/PytestShards.cmake: no entry ``{syntax(option)}`` explains it"
    for word in re.findall(r"\[([A-Z_]+) ", synopsis):
        if word not in {option["name"] for option in options}:
            yield f"cmake/PytestShards.cmake: the synopsis shows {word}, no option of the table"


def main():
    options = json.loads((ROOT / "cmake/options.json").read_text())["options"]
    api = api_rows((ROOT / "docs/cmake-api.md").read_text())
    module = (ROOT / "cmake/PytestShards.cmake").read_text()
    found = list(problems(options, api, module))
    for problem in found:
        print(problem)
    if found:
        sys.exit(1)
    print(f"the docs show the {len(options)} options of cmake/options.json")


if __name__ == "__main__":
    main()
