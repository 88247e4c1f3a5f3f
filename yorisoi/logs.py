"""Logging: structlog, key-value lines on a terminal and JSON lines otherwise.

Log events name things by pseudonymous keys and event ids, never by message text.
"""

from __future__ import annotations

import logging
import sys

import structlog


def configure(level: str = "INFO") -> None:
    """Set up structlog and the standard library's logging once, at start-up."""
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=level)
    # transitions logs every callback at INFO; only its warnings matter to operators.
    logging.getLogger("transitions").setLevel(max(logging.WARNING, logging.getLevelName(level)))
    renderer: structlog.typing.Processor
    if sys.stderr.isatty():
        renderer = structlog.dev.ConsoleRenderer()
    else:
        renderer = structlog.processors.JSONRenderer(ensure_ascii=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
