"""Telegram bindings (app/services/people/bindings.py): the per-account limit, the same pair twice, replacing a phone."""
import itertools

import pytest
from sqlalchemy import select

from app.config import Config
from app.extensions import db
from app.models import TelegramBinding
from app.services.people import bindings
_users = itertools.count(7_000_001)


def phone(n: int) -> str:
    return f"+7912{n:07d}"


def pairs(client) -> list[tuple[int, str]]:
    """(telegram user, phone) of the account's pairs, oldest first."""
    return db.session.execute(
        select(TelegramBinding.telegram_user_id, TelegramBinding.phone)
        .where(TelegramBinding.client_id == client.id).order_by(TelegramBinding.created_at, TelegramBinding.id)
    ).all()


def bind_new(client, count: int) -> list[tuple[int, str]]:
    """`count` residents bind themselves to the account one after another; returns their pairs in order."""
    made = []
    for n in range(count):
        user = next(_users)
        bindings.bind(client, user, user, phone(n))
        db.session.commit()
        made.append((user, phone(n)))
    return made


@pytest.mark.parametrize("count,kept", [(9, 9), (10, 10), (11, 10)])
def test_an_account_keeps_at_most_ten_pairs_releasing_the_oldest(ctx, count, kept):
    client = ctx.client()
    made = bind_new(client, count)
    assert pairs(client) == made[count - kept:]


def test_the_limit_is_configurable(app, ctx):
    app.config["BINDINGS_PER_ACCOUNT"] = 3
    client = ctx.client()
    made = bind_new(client, 5)
    assert pairs(client) == made[2:]


def test_the_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("BINDINGS_PER_ACCOUNT", "4")
    assert Config().BINDINGS_PER_ACCOUNT == 4
    monkeypatch.delenv("BINDINGS_PER_ACCOUNT")
    assert Config().BINDINGS_PER_ACCOUNT == 10


def test_the_limit_counts_each_account_alone(ctx):
    first, second = ctx.client("100001"), ctx.client("100002", "Петрова Анна Сергеевна")
    on_second = bind_new(second, 2)
    bind_new(first, 11)
    assert len(pairs(first)) == 10 and pairs(second) == on_second


def test_the_same_pair_twice_is_one_pair_with_the_latest_chat(ctx):
    client = ctx.client()
    made = bind_new(client, 10)
    user, number = made[0]  # the oldest pair binds again, from another chat
    again = bindings.bind(client, user, 999, number)
    db.session.commit()
    assert pairs(client) == made  # nothing added, nothing released, the order kept
    assert (again.telegram_user_id, again.chat_id) == (user, 999)


def test_one_user_with_two_phones_holds_two_pairs(ctx):
    client = ctx.client()
    bindings.bind(client, 42, 42, phone(1))
    bindings.bind(client, 42, 42, phone(2))
    db.session.commit()
    assert pairs(client) == [(42, phone(1)), (42, phone(2))]
    assert bindings.current_binding(42).phone == phone(2)  # the newest pair decides


def test_one_user_may_be_bound_to_several_accounts(ctx):
    first, second = ctx.client("100001"), ctx.client("100002", "Петрова Анна Сергеевна")
    bindings.bind(first, 42, 42, phone(1))
    bindings.bind(second, 42, 42, phone(1))
    db.session.commit()
    assert pairs(first) == pairs(second) == [(42, phone(1))]
    assert bindings.current_binding(42).client_id == second.id


def test_replacing_a_phone_keeps_the_pair(ctx):
    client = ctx.client()
    other = bind_new(client, 1)
    binding = bindings.bind(client, 42, 42, phone(1))
    db.session.commit()
    kept = bindings.replace_phone(binding, phone(5))
    db.session.commit()
    assert kept.id == binding.id
    assert pairs(client) == other + [(42, phone(5))]


def test_replacing_with_a_phone_the_user_already_has_drops_the_old_pair(ctx):
    client = ctx.client()
    bindings.bind(client, 42, 42, phone(1))
    old = bindings.bind(client, 42, 42, phone(2))
    db.session.commit()
    kept = bindings.replace_phone(old, phone(1))
    db.session.commit()
    assert kept.phone == phone(1)
    assert pairs(client) == [(42, phone(1))]


def test_revoke_releases_one_pair(ctx):
    client = ctx.client()
    made = bind_new(client, 3)
    bindings.revoke(bindings.current_binding(made[1][0]).id)
    db.session.commit()
    assert pairs(client) == [made[0], made[2]]
