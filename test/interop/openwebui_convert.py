"""Runs Open WebUI's own OpenAPI -> tool conversion over tool documents, as its backend does for an
"External Tools" connection: `convert_openapi_to_tool_payload`, then `clean_openai_tool_schema` per
tool (backend/open_webui/utils/tools.py).

Importing that module needs Open WebUI's whole backend (FastAPI, its database models, langchain...),
so the few functions it takes are read out of the given tools.py and run on their own
(openwebui_source.py), with the standard library modules they use. Nothing of Open WebUI is copied into this repository.

usage: python3 openwebui_convert.py TOOLS_PY DOCUMENTS_JSON
DOCUMENTS_JSON is {name: OpenAPI document}; prints {name: [tool spec, ...]} as JSON.
"""
import copy
import json
import logging
import re
import sys

from openwebui_source import take

NEEDED = {
    "OPENAPI_HTTP_METHODS",
    "resolve_schema",
    "convert_openapi_to_tool_payload",
    "clean_properties",
    "clean_openai_tool_schema",
}


def load(tools_py):
    namespace = {"copy": copy, "re": re, "json": json, "log": logging.getLogger("open_webui")}
    take(tools_py, NEEDED, namespace)
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
