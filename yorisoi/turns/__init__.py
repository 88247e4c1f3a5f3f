"""Turns: the one way a conversation changes, and what happens once it has.

``unit`` holds the unit of work (``Changes.apply``: load, change a copy, commit under the
version check, retry a lost race); ``effects`` the after-commit effects registry;
``outgoing`` how a turn's messages become outbox rows and log entries; ``bot`` the bot's
turn for one LINE event. Staff actions and the case jobs are turns too
(``yorisoi.cases.actions``, ``yorisoi.cases.jobs``).
"""
