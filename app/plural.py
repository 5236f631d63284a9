"""Russian numerals with their nouns: «1 сообщение», «2 сообщения», «5 сообщений», «21 день».

One helper for every place a number meets a noun (flash messages, reports, bot texts).
"""


def plural(n: int, one: str, few: str, many: str) -> str:
    """The noun form that goes with `n`: `one` for 1, 21, 101; `few` for 2-4, 22-24; `many` otherwise
    (0, 5-20, 11-14, 25...)."""
    n = abs(int(n))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def count(n: int, one: str, few: str, many: str) -> str:
    """The number and its noun: count(151, "сообщение", "сообщения", "сообщений") -> «151 сообщение»."""
    return f"{n} {plural(n, one, few, many)}"
