"""A small MCP server of the Python SDK (FastMCP, stdio) that asks its client for input while a
tool runs: `ask_name` by a form-mode elicitation, `open_link` by a URL-mode one. Each tool returns
what the client answered. Run by test/interop/python-elicitation.interop.ts with the SDK on its
PYTHONPATH."""

from pydantic import BaseModel, Field

from mcp.server.fastmcp import Context, FastMCP

server = FastMCP("python-elicitation")


class Name(BaseModel):
    name: str = Field(description="Your name")
    subscribe: bool = Field(default=False, description="Subscribe to the newsletter")


@server.tool()
async def ask_name(ctx: Context) -> str:
    """Asks the user for their name (form mode)."""
    result = await ctx.elicit(message="What is your name?", schema=Name)
    if result.action == "accept":
        return f"Hello, {result.data.name}! subscribe={result.data.subscribe}"
    return f"no name: {result.action}"


@server.tool()
async def open_link(ctx: Context) -> str:
    """Sends the user to a page (URL mode)."""
    result = await ctx.elicit_url(
        message="Sign in to continue", url="https://example.com/sign-in", elicitation_id="sign-in-1"
    )
    return f"link: {result.action}"


if __name__ == "__main__":
    server.run("stdio")
