"""Mutants of an exercise's reference solution, made mechanically from its syntax tree: the small slips a learner
makes. Each mutant changes one thing:

- a number off by one (an axis, a slice end, a count), a float scaled by 1.5 (0.0 made 0.1), a boolean flipped;
- a comparison swapped for its neighbour (``<`` / ``<=``, ``>`` / ``>=``, ``==`` / ``!=``);
- an arithmetic operator swapped (``/`` / ``*``, ``+`` / ``-``, ``**`` / ``*``);
- a function swapped for its neighbour (softmax / log_softmax, argmax / argmin, sum / mean, max / min, ...);
- a keyword argument dropped (``dim=-1`` gone is a global instead of a per-row reduction), or a positional one;
- a string replaced by a neighbouring value of the same API ("epoch" / "steps", "pt" / "np", ...).

``mutants(source)`` yields (where and what changed, the mutated source); "3:11 -1 -> 0" is line 3, column 11.
"""
from __future__ import annotations

import ast
import copy
from collections.abc import Iterator

FUNCTIONS = {"softmax": "log_softmax", "log_softmax": "softmax", "argmax": "argmin", "argmin": "argmax",
             "sum": "mean", "mean": "sum", "max": "min", "min": "max", "topk": "kthvalue", "exp": "log",
             "diagonal": "diag", "norm": "sum"}  # neighbours, not aliases (numel/nelement would always survive)
STRINGS = {"epoch": "steps", "steps": "epoch", "pt": "np", "np": "pt", "eager": "sdpa", "CAUSAL_LM": "SEQ_CLS",
           "label": "text", "sentiment": "encoder", "encoder": "sentiment", "q_proj": "k_proj", "v_proj": "o_proj",
           "batch": "sequence", "sequence": "batch", "input_ids": "attention_mask"}
COMPARE = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
BINARY = {ast.Div: ast.Mult, ast.Mult: ast.Div, ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Pow: ast.Mult,
          ast.FloorDiv: ast.Div, ast.MatMult: ast.Mult}


def _number(node) -> int | float | None:
    """The value of a literal number, negative ones (a unary minus) included; None for anything else."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and _number(node.operand) is not None:
        return -_number(node.operand)
    return None


def _literal(value) -> ast.expr:
    return ast.UnaryOp(ast.USub(), ast.Constant(-value)) if value < 0 else ast.Constant(value)


class _Mutator(ast.NodeTransformer):
    """Walks the tree counting the possible changes; applies the one numbered ``target`` (-1: none, count only)."""

    def __init__(self, target: int = -1):
        self.target, self.seen, self.done = target, 0, None

    def _offer(self, description: str, make):
        """One possible change: applied (and described) when it is the target; ``make()`` builds the new node."""
        hit = self.seen == self.target
        self.seen += 1
        if hit:
            self.done = f"{self.where.lineno}:{self.where.col_offset} {description}"
            return make()
        return None

    def _number_site(self, node):
        value = _number(node)
        if isinstance(value, bool) or value is None:
            return None
        changes = [value + 1, value - 1] if isinstance(value, int) else [value * 1.5 if value else 0.1]
        for new in changes:
            replaced = self._offer(f"{value} -> {new}", lambda new=new: _literal(new))
            if replaced is not None:
                return ast.copy_location(replaced, node)
        return node

    def visit(self, node):
        if hasattr(node, "lineno"):
            self.where = node  # where a change is made: "line:column" in its description
        return super().visit(node)

    def visit_UnaryOp(self, node):
        if _number(node) is not None:
            return self._number_site(node)
        return self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, bool):
            return self._offer(f"{node.value} -> {not node.value}", lambda: ast.Constant(not node.value)) or node
        if type(node.value) in (int, float):
            return self._number_site(node)
        if isinstance(node.value, str) and node.value in STRINGS:
            new = STRINGS[node.value]
            return self._offer(f"{node.value!r} -> {new!r}", lambda: ast.Constant(new)) or node
        return node

    def visit_Compare(self, node):
        self.generic_visit(node)
        for i, op in enumerate(node.ops):
            if type(op) in COMPARE:
                new = COMPARE[type(op)]
                changed = self._offer(f"{type(op).__name__} -> {new.__name__}",
                                      lambda i=i, new=new: [*node.ops[:i], new(), *node.ops[i + 1:]])
                if changed is not None:
                    node.ops = changed
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if type(node.op) in BINARY:
            new = BINARY[type(node.op)]
            changed = self._offer(f"{type(node.op).__name__} -> {new.__name__}", lambda: new())
            if changed is not None:
                node.op = changed
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if name in FUNCTIONS:
            if self._offer(f"{name}() -> {FUNCTIONS[name]}()", lambda: True):
                if isinstance(func, ast.Attribute):
                    func.attr = FUNCTIONS[name]
                else:
                    func.id = FUNCTIONS[name]
        for i, keyword in enumerate(node.keywords):
            if keyword.arg and self._offer(f"{name}({keyword.arg}=...) dropped", lambda: True):
                node.keywords = node.keywords[:i] + node.keywords[i + 1:]
                break
        if node.args and self._offer(f"{name}(...)'s last positional argument dropped", lambda: True):
            node.args = node.args[:-1]
        return node


def mutants(source: str) -> Iterator[tuple[str, str]]:
    """Every one-change mutant of ``source``: (what changed, the mutated source)."""
    tree = ast.parse(source)
    counter = _Mutator()
    counter.visit(copy.deepcopy(tree))
    for target in range(counter.seen):
        mutator = _Mutator(target)
        mutated = ast.fix_missing_locations(mutator.visit(copy.deepcopy(tree)))
        yield mutator.done, ast.unparse(mutated)


def answer_of(name: str, source: str):
    """What the answer cell ``source`` of exercise ``name`` defines, run as a notebook cell runs it (``labkit``
    imported): the value the learner passes to ``labkit.check``."""
    import labkit
    from labkit.exercises import EXERCISES

    namespace = {"labkit": labkit}
    exec(compile(source, f"<answer cell of {name}>", "exec"), namespace)
    return namespace[EXERCISES[name].answer_name]
