"""Demo mode's chat page: placeholder replaced below."""
from aiohttp import web


def setup(app: web.Application) -> None:
    """Add the demo routes."""
