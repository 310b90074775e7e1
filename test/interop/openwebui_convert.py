"""Runs Open WebUI's own OpenAPI -> tool conversion over tool documents, as its backend does for an
"External Tools" connection: `convert_openapi_to_tool_payload`, then `clean_openai_tool_schema` per
tool (backend/open_webui/utils/tools.py).

Importing that module needs Open WebUI's whole backend (FastAPI, its database models, langchain...),
so the few functions it takes are read out of the given tools.py with `ast` and run on their own,
with the standard library modules they use. Nothing of Open WebUI is copied into this repository.

usage: python3 openwebui_convert.py TOOLS_PY DOCUMENTS_JSON
DOCUMENTS_JSON is {name: OpenAPI document}; prints {name: [tool spec, ...]} as JSON.
"""
import ast
import copy
import json
import logging
import re
import sys

NEEDED = {
    "OPENAPI_HTTP_METHODS",
    "resolve_schema",
    "convert_openapi_to_tool_payload",
    "clean_properties",
    "clean_openai_tool_schema",
}


def defined_names(node):
    if isinstance(node, ast.FunctionDef):
        return {node.name}
    if isinstance(node, ast.Assign):
        return {target.id for target in node.targets if isinstance(target, ast.Name)}
    return set()


def load(tools_py):
    with open(tools_py, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), tools_py)
    body = [node for node in tree.body if defined_names(node) & NEEDED]
    missing = NEEDED - set().union(*(defined_names(node) for node in body))
    if missing:
        sys.exit(f"{tools_py} has no {', '.join(sorted(missing))}: not the Open WebUI version this test knows")
    namespace = {"copy": copy, "re": re, "json": json, "log": logging.getLogger("open_webui")}
    exec(compile(ast.Module(body=body, type_ignores=[]), tools_py, "exec"), namespace)
    return namespace


def main():
    functions = load(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8") as handle:
        documents = json.load(handle)
    specs = {
        name: [functions["clean_openai_tool_schema"](spec) for spec in functions["convert_openapi_to_tool_payload"](document)]
        for name, document in documents.items()
    }
    json.dump(specs, sys.stdout)


main()
