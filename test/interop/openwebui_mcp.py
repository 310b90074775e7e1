"""Drives Open WebUI's own MCP client (backend/open_webui/utils/mcp/client.py) as its chat
middleware does: connect with the connection's headers, list the tool specs, call tools, disconnect.

Usage: python3 openwebui_mcp.py '{"url": ..., "headers": {...} | null, "calls": [{"name": ..., "arguments": {...}}]}'
Prints one JSON object: {"tools": [...], "results": [{"content": ...} | {"error": ...}]}, or
{"error": ...} when connecting fails. `open_webui.utils.mcp.client` must be importable (PYTHONPATH).
"""

import asyncio
import json
import sys

from open_webui.utils.mcp.client import MCPClient


def describe(error: BaseException) -> str:
    """The messages of an error and of everything inside it (anyio raises exception groups)."""
    inner = getattr(error, 'exceptions', None)
    if inner:
        return '; '.join(describe(each) for each in inner)
    return f'{type(error).__name__}: {error}'


async def main() -> None:
    request = json.loads(sys.argv[1])
    client = MCPClient()
    try:
        await client.connect(request['url'], headers=request.get('headers'))
    except BaseException as error:  # what Open WebUI logs when a connection fails
        print(json.dumps({'error': describe(error)}))
        return
    output = {'tools': await client.list_tool_specs(), 'results': []}
    for call in request.get('calls', []):
        try:
            output['results'].append({'content': await client.call_tool(call['name'], call['arguments'])})
        except Exception as error:  # Open WebUI's client raises the content of an isError result
            output['results'].append({'error': describe(error)})
    await client.disconnect()
    print(json.dumps(output))


asyncio.run(main())
