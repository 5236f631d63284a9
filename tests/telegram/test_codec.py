"""The one callback codec (app.telegram.codec): its formats never change (old messages keep their buttons)."""
import pytest

from app.telegram import codec


# --- dialog buttons (moved from tests/bot/test_units.py) ---

def test_button_data_round_trip():
    data = codec.dialog_button("a1b2c3d4", "cat", 17)
    assert data == "a1b2c3d4:cat:17"
    assert codec.parse_dialog_button(data) == ("a1b2c3d4", "cat", "17")
    assert codec.parse_dialog_button(codec.dialog_button("a1b2c3d4", "back")) == ("a1b2c3d4", "back", "")


@pytest.mark.parametrize("data", [None, "", "cat", ":cat", "f::1", "a:b:c:d", "🙂"])
def test_foreign_button_data_is_not_ours(data):
    assert codec.parse_dialog_button(data) is None


def test_button_data_respects_telegram_limit():
    with pytest.raises(AssertionError):
        codec.dialog_button("f" * 8, "x", "y" * 60)


# --- lasting buttons (moved from tests/services/test_conversation.py) ---

def test_lasting_button_data_round_trip():
    assert codec.lasting_button("rate", 2_147_483_647, 5) == "rq:rate:2147483647:5"
    assert codec.parse_lasting_button("rq:rate:2147483647:5") == ("rate", 2_147_483_647, "5")
    assert codec.parse_lasting_button("rq:card:12") == ("card", 12, "")


@pytest.mark.parametrize("data", [None, "", "rq", "rq:card", "rq::12", "rq:card:-1", "rq:card:1e3", "rq:card:１２",
                                  "rq:card:99999999999", "rq:card:2147483648", "xx:card:12", "rq:card:12:1:2", "a1b2c3d4:cat:12"])
def test_forged_or_foreign_button_data_is_not_a_lasting_button(data):
    assert codec.parse_lasting_button(data) is None


def test_lasting_button_respects_telegram_limit():
    with pytest.raises(AssertionError):
        codec.lasting_button("x" * 51, 2_147_483_647)  # 65 bytes


# --- the wire formats residents' old messages carry ---

def test_wire_formats_are_those_of_old_messages():
    assert codec.lasting_button("write", 7) == "rq:write:7"
    assert codec.lasting_button("yes", 7, "card") == "rq:yes:7:card"
    assert codec.lasting_button("list", 0) == "rq:list:0"
    assert (codec.NOTICES_ON, codec.NOTICES_OFF) == ("notices:on", "notices:off")


def test_a_setting_switch_is_no_lasting_button():
    assert codec.parse_lasting_button(codec.NOTICES_ON) is None


@pytest.mark.parametrize("text, number", [("0", 0), ("12", 12), ("2147483647", 2_147_483_647), ("2147483648", None),
                                          ("99999999999", None), ("-1", None), ("１２", None), ("", None), ("1e3", None)])
def test_an_id_is_ascii_digits_within_the_database_integer(text, number):
    assert codec.parse_id(text) == number
