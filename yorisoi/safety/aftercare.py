"""After a crisis reply: read each later message in that light, and never fall silent.

Once the bot has sent the crisis reply and until a responder takes the case, a person may
write 「くるしい」 or 「意識がぼんやりしてきた」: on its own such a line screens ``none`` or
``concern``, but after 「薬を全部飲んだ」 it means the act is under way and the body is giving
way. These signs bring 119 again, in one line, and a fresh alert. The words are folded
(kana, width) the way the screener folds them, so ｲｼｷ and いしき count as 意識.
"""

from __future__ import annotations

import re

from yorisoi.text.fold import fold

# Signs that the body is giving way or an act is under way, read only after a crisis reply.
WORSENING: dict[str, re.Pattern[str]] = {
    name: re.compile(fold(pattern))
    for name, pattern in {
        "consciousness": r"意識|いしき|ぼんやり|ぼーっと|ふらふら|目(が|の)前が|気(が|を)(失|うしな)",
        "breathing": r"息(が|を)|いき(が|を|でき)|呼吸|こきゅう",
        "bleeding": r"血(が|を)|ち(が|を)(止|と)まらな|出血|しゅっけつ",
        "pain": r"くるし|苦し|いたい|痛い|しびれ|痺れ|けいれん|痙攣",
        "sick": r"吐(い|き|く)|は(いた|きそう|きけ)|もど(した|しそう)|めまい",
        "cannot_move": r"動けな|うごけな|立てな|たてな|起きれな|おきれな|起き上が",
        "amount": r"飲んだ(量|数|分)|(何|なん)(錠|じょう|個|こ)|全部(飲|の)|ぜんぶ(飲|の)",
        "sleepy": r"ねむく(なって|なっ)|眠く(なって|なっ)|(目|め)が(閉|と)じ",
    }.items()
}


def worsening_signs(text: str) -> tuple[str, ...]:
    """Return which signs of worsening a message after a crisis reply shows (none: empty)."""
    folded = fold(text)
    return tuple(name for name, pattern in WORSENING.items() if pattern.search(folded))
