"""Cases: the part of a conversation that responders work on, from the queue to the record.

A case opens when a user asks for a person (相談員と話す), writes in venting mode
(モヤモヤを話す) or writes at night; it waits in the queue, a responder claims it, talks
through the outbox, and closes it with a short record.

``rules`` (who may see and act, with no I/O), ``errors`` (refusals, with no HTTP),
``desk`` (the bot's side, inside a bot turn), ``actions`` (staff actions) and ``jobs``
(the morning reply and the claim timeout). Every change is a turn (``yorisoi.turns``).
"""
