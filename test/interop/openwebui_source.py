"""Runs a few top-level definitions of one of Open WebUI's backend modules on their own: importing the
module would need Open WebUI's whole backend (FastAPI, its database models, langchain...), so the
definitions are read out of the file with `ast`. Used by openwebui_convert.py and openwebui_call.py.
"""
import __future__
import ast
import sys


def defined_names(node):
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return {node.name}
    if isinstance(node, ast.Assign):
        return {target.id for target in node.targets if isinstance(target, ast.Name)}
    return set()


def take(path, needed, namespace):
    """Runs the top-level definitions of the names `needed` in `path`, in `namespace`; exits when one is missing."""
    with open(path, encoding='utf-8') as handle:
        tree = ast.parse(handle.read(), path)
    body = [node for node in tree.body if defined_names(node) & needed]
    missing = needed - set().union(*(defined_names(node) for node in body))
    if missing:
        sys.exit(f"{path} has no {', '.join(sorted(missing))}: not the Open WebUI version this test knows")
    # Annotations stay unevaluated, as under the modules' `from __future__ import annotations`.
    flags = __future__.annotations.compiler_flag
    exec(compile(ast.Module(body=body, type_ignores=[]), path, 'exec', flags=flags, dont_inherit=True), namespace)
