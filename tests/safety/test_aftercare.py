"""Signs of worsening, read only in the messages after a crisis reply."""

from __future__ import annotations

import pytest

from yorisoi.safety.aftercare import worsening_signs


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("くるしい", "pain"),
        ("意識がぼんやりしてきた", "consciousness"),
        ("ｲｼｷがとおくなる", "consciousness"),
        ("息がうまくできない", "breathing"),
        ("血が止まらない", "bleeding"),
        ("うごけない", "cannot_move"),
        ("何錠のんだかわからない", "amount"),
        ("ねむくなってきた", "sleepy"),
        ("はきそう", "sick"),
    ],
)
def test_signs_of_the_body_giving_way_are_read(text: str, sign: str) -> None:
    assert sign in worsening_signs(text)


@pytest.mark.parametrize(
    "text", ["ありがとう", "わかった", "まだ起きてる", "だれかいる？", "ごめんね"]
)
def test_ordinary_replies_show_no_sign(text: str) -> None:
    assert worsening_signs(text) == ()
