"""Domain words in one place: staff roles and topics, age bands, who may see a case, and the
typed data a conversation remembers. Imported by the API, the hub, the flow conditions and
the cases alike, never re-implemented; it imports nothing else of yorisoi but the records.
"""
