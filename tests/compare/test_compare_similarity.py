"""Does the integrity review flag renamed copies, and only them, among naturally similar solutions?"""
from __future__ import annotations

from compare_styles import STYLES, TABLE, TABLE_RENAMED
from compare_class import solutions
from graders.compare.similarity import THRESHOLD, fingerprint, review, tokens

Q = '''def q_sample(x0, t, noise, alpha_bar):
    """Eq. 4."""
    ab = alpha_bar[t].reshape(-1, *[1] * (x0.dim() - 1))  # (B, 1, ...)
    return ab.sqrt().to(x0.dtype) * x0 + (1 - ab).sqrt().to(x0.dtype) * noise
'''


def test_tokens_ignore_names_comments_and_docstrings():
    """Do renamed variables, new comments, a new docstring and reformatting leave the tokens unchanged?"""
    renamed = ('def q_sample(a, b, c, d):\n    "Other words."\n    k = d[b].reshape(-1, *[1] * (a.dim() - 1))\n'
               '    # a comment\n    return (k.sqrt().to(a.dtype) * a\n            + (1 - k).sqrt().to(a.dtype) * c)\n')
    assert tokens(renamed) == tokens(Q)


def test_tokens_see_a_different_formula():
    """Does ** 0.5 in place of .sqrt() change the tokens?"""
    assert tokens(Q.replace("ab.sqrt()", "ab ** 0.5")) != tokens(Q)


def test_import_alias_reads_like_the_module():
    """Does `import torch as th` then th.cumprod tokenise like `import torch` then torch.cumprod?"""
    assert tokens("import torch as th\nx = th.cumprod(b, 0)\n") == tokens("import torch\nx = torch.cumprod(b, 0)\n")


def test_unparsable_cell_has_no_tokens():
    """Does a cell with a syntax error give an empty fingerprint rather than raise?"""
    assert fingerprint({"q_sample": "def q_sample(x0, t\n"}) == set()


def _class(extra: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Ten students with the instructor's code (the common style), plus `extra`."""
    base = solutions()
    return {**{f"canonical-{i}": base for i in range(10)}, **extra}


def test_renamed_copy_clusters_and_independent_styles_do_not():
    """Among ten canonical solutions and five styles, is the renamed copy the only cluster, at similarity 1?"""
    base = solutions()
    styles = {name: {**base, **STYLES[name]} for name in ("loop", "numpy", "float64", "gather")}
    found = review(_class({**styles, "table": {**base, **TABLE}, "copy": {**base, **TABLE_RENAMED}}))
    assert found.clusters == [["copy", "table"]]
    assert [round(p.similarity, 6) for p in found.pairs] == [1.0]


def test_lightly_edited_copy_still_clusters():
    """Does a copy with two formulas rewritten (1.0 → 1, rsqrt → 1/sqrt) still score above the threshold?"""
    base = solutions()
    edited = {k: v.replace("(1.0 - abar)", "(1 - abar)").replace("alphas.rsqrt()", "1 / alphas.sqrt()")
              for k, v in TABLE.items()}
    found = review(_class({"table": {**base, **TABLE}, "edited": {**base, **edited}}))
    assert found.clusters == [["edited", "table"]]
    assert THRESHOLD <= found.pairs[0].similarity < 1.0


def test_common_code_is_not_evidence():
    """Are ten students with the instructor's own code left uncompared, rather than one big cluster?"""
    found = review(_class({}))
    assert found.clusters == [] and len(found.not_compared) == 10


def test_one_function_alike_is_not_enough():
    """Do two students who share one idiosyncratic function, and nothing else distinctive, stay unflagged?"""
    base = solutions()
    odd = {**base, "sample_loop": TABLE["q_sample"].split("def q_sample")[0] + TABLE["sample_loop"]}
    found = review(_class({"a": odd, "b": dict(odd)}))
    assert "a" not in found.not_compared and "b" not in found.not_compared  # compared, with 1.0 on one cell
    assert found.clusters == []
