"""Makes one tool call the way Open WebUI's backend does for an "External Tools" (OpenAPI) connection
in a chat: the connection's headers from `build_tool_server_headers` (its Bearer key, and, with
ENABLE_FORWARD_USER_INFO_HEADERS=true, the user's and the chat's headers from
`include_user_info_headers`), then `execute_tool_server` (aiohttp) to the operation's URL.

The functions are read out of the given tools.py and headers.py and run on their own
(openwebui_source.py); the settings they read are read the same
way out of env.py (from this process's environment, as Open WebUI reads them), except the two that
need more of it, which get Open WebUI's defaults. Nothing of Open WebUI is copied into this repository.

usage: python openwebui_call.py TOOLS_PY HEADERS_PY ENV_PY REQUEST_JSON
REQUEST_JSON: {"key", "user": {id, name, email, role}, "metadata": {chat_id, message_id}, and for a
call "url", "document", "operationId", "params"}. Prints {"result": ..., "sent": {header: value}} as
JSON: the result Open WebUI got (none without "operationId": then only the headers are built, as for
its MCP client, which needs no aiohttp), and the headers it sent (the Authorization header left out).
"""
import asyncio
import base64
import json
import logging
import os
import sys
import types
from urllib.parse import quote, urlencode

from openwebui_source import take

FROM_TOOLS = {'OPENAPI_HTTP_METHODS', 'build_tool_server_headers', 'execute_tool_server'}
FROM_HEADERS = {'include_user_info_headers'}
SETTINGS = {
    'ENABLE_FORWARD_USER_INFO_HEADERS',
    'FORWARD_USER_INFO_HEADER_USER_NAME',
    'FORWARD_USER_INFO_HEADER_USER_ID',
    'FORWARD_USER_INFO_HEADER_USER_EMAIL',
    'FORWARD_USER_INFO_HEADER_USER_ROLE',
    'FORWARD_SESSION_INFO_HEADER_MESSAGE_ID',
    'FORWARD_SESSION_INFO_HEADER_CHAT_ID',
    'FORWARD_USER_INFO_HEADER_JWT_SECRET',
    'FORWARD_USER_INFO_HEADER_JWT',
    'AIOHTTP_CLIENT_ALLOW_REDIRECTS',
}


def main():
    tools_py, headers_py, env_py, request_json = sys.argv[1:5]
    request = json.loads(request_json)
    namespace = {
        'os': os,
        'base64': base64,
        'json': json,
        'quote': quote,
        'urlencode': urlencode,
        'log': logging.getLogger('open_webui'),
        # Open WebUI's defaults for the two settings env.py computes with more of itself.
        'AIOHTTP_CLIENT_SESSION_TOOL_SERVER_SSL': True,
        'AIOHTTP_CLIENT_TIMEOUT_TOOL_SERVER': 300,
    }
    take(env_py, SETTINGS, namespace)
    take(headers_py, FROM_HEADERS, namespace)
    take(tools_py, FROM_TOOLS, namespace)
    user = types.SimpleNamespace(**request['user'])
    connection = {'auth_type': 'bearer', 'key': request['key']}

    async def call():
        headers, cookies = await namespace['build_tool_server_headers'](
            connection, None, user, server_id='gateway', metadata=request['metadata']
        )
        sent = {name: value for name, value in headers.items() if name.lower() != 'authorization'}
        if 'operationId' not in request:
            return {'sent': sent}
        import aiohttp  # pylint: disable=import-outside-toplevel

        namespace['aiohttp'] = aiohttp
        result, _ = await namespace['execute_tool_server'](
            request['url'], headers, cookies, request['operationId'], request['params'], {'openapi': request['document']}
        )
        return {'result': result, 'sent': sent}

    print(json.dumps(asyncio.run(call())))


main()
