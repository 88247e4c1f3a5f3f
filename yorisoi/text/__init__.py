"""Japanese text work shared by the FAQ and the safety screen: folding and embeddings.

`fold` turns chat spellings into one form (NFKC, kana, タヒ as 死, emoji as words) and splits
text into SudachiPy words; `embed` loads the sentence-embedding model. Both `yorisoi.faq` and
`yorisoi.safety` import from here, never from each other.
"""
