"""The «Отключение» template's wording."""
from datetime import datetime

from app.services.messaging.outage import notice_text, period


def test_periods_read_as_russian_notices_say_them():
    start = datetime(2031, 3, 12, 9, 0)
    assert period(start, datetime(2031, 3, 12, 18, 0), this_year=2031) == "12 марта с 09:00 до 18:00"
    assert period(start, datetime(2031, 3, 13, 18, 0), this_year=2031) == "с 12 марта, 09:00, до 13 марта, 18:00"
    assert period(start, None, this_year=2031) == "с 12 марта, 09:00, до окончания работ"
    assert period(datetime(2031, 12, 31, 22, 0), datetime(2032, 1, 1, 6, 0), this_year=2031) == \
        "с 31 декабря, 22:00, до 1 января 2032 г., 06:00"


def test_the_notice_names_what_where_and_when():
    text = notice_text("emergency", "heating", "г. Самара, ул. Садовая, д. 17", datetime(2031, 1, 20, 8, 0),
                       None, note="  Идёт ремонт теплотрассы.  ", this_year=2031)
    assert text == ("⚠️ Аварийное отключение отопления\nАдрес: г. Самара, ул. Садовая, д. 17\n"
                    "Когда: с 20 января, 08:00, до окончания работ\nИдёт ремонт теплотрассы.\n"
                    "Приносим извинения за неудобства.")
