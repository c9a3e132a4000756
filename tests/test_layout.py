"""The package's shape (docs/architecture.md): small modules, no import circles, one public way in, and notebooks
that use only it."""
import ast
import importlib
import json
import pkgutil
import re
from pathlib import Path

import labkit

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 250


def test_no_module_is_longer_than_the_limit():
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / "labkit").rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"split these modules (at most {MAX_LINES} lines): {long}"


def labkit_imports() -> dict[str, set[str]]:
    """module -> the labkit modules it imports, read from every import statement (inside functions, and under
    TYPE_CHECKING, too: a reader meets those arrows as well). A name imported from a package counts as its
    submodule where one has that name."""
    modules = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
               for p in (ROOT / "labkit").rglob("*.py")}
    graph = {}
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{parent}.{base}".rstrip(".")
                targets.update(f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names)
        graph[module] = {t for t in targets if t in modules and t != module}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index, low, stack, found = {}, {}, [], []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while (member := stack.pop()) != node:
                component.append(member)
            if component:
                found.append(sorted(component + [node]))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_circles_are_found():
    """The detector itself: a loop through three modules is one circle; a chain is none."""
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_no_import_circle_inside_labkit():
    """The package reads from the bottom up: the registry (assets.py) and the settings at the bottom, the notebooks'
    helpers above them, the command on top. A module that imports one that imports it back is a knot."""
    graph = labkit_imports()
    assert "labkit.assets" in graph and "labkit.settings" in graph["labkit.assets"]  # the walk reads the package
    assert {"labkit.decoding.step", "labkit.decoding.beam"} <= graph["labkit.decoding.loop"]
    assert circles(graph) == [], "import circles: " + "; ".join(" <-> ".join(c) for c in circles(graph))


def test_every_module_imports_and_no_function_hides_a_module():
    modules = {m.name.rsplit(".", 1)[-1] for m in pkgutil.walk_packages(labkit.__path__, "labkit.")
               if importlib.import_module(m.name)}
    for name in labkit.__all__:
        value = getattr(labkit, name)
        if name in modules:  # a submodule stays reachable under its own name
            assert type(value).__name__ == "module", f"labkit.{name} is not the module labkit/{name}"
    assert labkit.exercises.EXERCISES is importlib.import_module("labkit.exercises").EXERCISES
    assert callable(labkit.check) and callable(labkit.doctor) and callable(labkit.catalogue)


def test_the_architecture_map_names_every_module():
    text = (ROOT / "docs" / "architecture.md").read_text()
    for path in (ROOT / "labkit").rglob("*.py"):
        name = str(path.relative_to(ROOT / "labkit"))
        if path.name != "__init__.py":
            assert name in text, f"docs/architecture.md does not mention labkit/{name}"


LABKIT_USE = re.compile(r"\blabkit((?:\.\w+)+)")


def notebook_code():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                yield path.name, "".join(cell["source"])


def test_notebooks_use_the_public_surface_only():
    """`import labkit`, then documented names: no `from labkit...`, no private attributes."""
    for name, code in notebook_code():
        for line in code.splitlines():
            if line.lstrip().startswith(("#", "%", "!")):
                continue
            assert not re.match(r"\s*from labkit\b|\s*import labkit\.", line), f"{name}: use `import labkit`: {line}"
            for chain in LABKIT_USE.findall(line):
                parts = chain.strip(".").split(".")
                assert parts[0] in labkit.__all__, f"{name}: labkit.{parts[0]} is not public: {line}"
                assert not any(p.startswith("_") for p in parts), f"{name}: private name: {line}"
                target = getattr(labkit, parts[0])
                for part in parts[1:]:  # modules' names must exist and be in their __all__ where they have one
                    if type(target).__name__ != "module":
                        break
                    public = getattr(target, "__all__", None)
                    assert public is None or part in public, f"{name}: {chain} is not in its module's __all__"
                    target = getattr(target, part)


def test_every_check_in_a_notebook_names_a_known_exercise():
    known = labkit.exercises.load_all()
    used = {match for _, code in notebook_code() for match in re.findall(r'labkit\.check\("([\w.]+)"', code)}
    assert used and used <= set(known), sorted(used - set(known))
    assert not any(re.match(r"\d", i) for i in known), "exercise ids are <topic>.<name>, never a chapter number"


def exercise_cells():
    """(notebook, exercise id, the answer cell's code) for every labkit.check in the notebooks."""
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "code" and (m := re.search(r'labkit\.check\("([\w.]+)", (\w+)\)', source)):
                yield path.stem, m.group(1), m.group(2), source


def test_every_notebook_has_three_exercises_one_on_the_librarys_own_api():
    """At least three exercises per notebook, each in the notebook of its topic, and one whose reference answer
    is transformers, datasets or peft code (a tokenizer's chat template included) (not arithmetic or a value printed earlier)."""
    exercises = labkit.exercises.load_all()
    library_code = re.compile(r"from (transformers|datasets|peft) import|tokenizer\(|\.generate\(|\.train_test_split\(|"
                              r"\.to\(model\.device\)|\.apply_chat_template\(")
    by_notebook = {}
    for notebook, name, answer, source in exercise_cells():
        ex = exercises[name]
        assert labkit.exercises.TOPICS[ex.topic] == notebook, f"{name} is checked in {notebook}"
        assert answer == ex.answer_name, f"{notebook}: {name} checks {answer}, its solution defines {ex.answer_name}"
        assert source.startswith((f"def {answer}(", f"{answer} = ...")), f"{notebook}: {name}'s cell is no placeholder"
        by_notebook.setdefault(notebook, []).append(ex)
    assert set(by_notebook) == {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")}
    for notebook, found in by_notebook.items():
        assert len(found) >= 3, f"{notebook} has {len(found)} exercises"
        assert any(library_code.search(ex.solution) for ex in found), f"{notebook}: no exercise on the library's API"
    assert sorted(ex.name for exs in by_notebook.values() for ex in exs) == sorted(exercises), "an unused exercise"


def test_the_readme_counts_the_exercises_there_are():
    stated = re.search(r"(\d+) in all\)", (ROOT / "README.md").read_text())
    assert stated and int(stated.group(1)) == len(labkit.exercises.load_all())


def test_the_licence_the_readme_and_pyproject_name_is_in_the_repository():
    import tomllib

    licence = (ROOT / "LICENSE").read_text()
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"] == "Apache-2.0"
    assert "Code: Apache-2.0 ([LICENSE](LICENSE))" in (ROOT / "README.md").read_text()
