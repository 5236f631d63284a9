"""The submission window: the days of the month when residents report their meters.

The company sets the first and the last day («Настройки компании»); a reading belongs to the
month it is given in (its `period`: the month's first day, in the company's time zone)."""
import calendar
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app

from app.services import company


def today() -> date:
    return datetime.now(current_app.config["TZ"]).date()


def local_date(moment: datetime) -> date:
    """The company's local date of a stored (UTC) moment."""
    return moment.astimezone(current_app.config["TZ"]).date()


def period_of(day: date) -> date:
    return day.replace(day=1)


def add_months(period: date, months: int) -> date:
    index = period.year * 12 + period.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_days(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


@dataclass(frozen=True)
class Window:
    first: int  # day of the month
    last: int

    def is_open(self, day: date) -> bool:
        return self.first <= day.day <= self.last

    def opens(self, day: date) -> date:
        """The day it opens in the month of `day`."""
        return day.replace(day=min(self.first, month_days(day)))

    def closes(self, day: date) -> date:
        """The last day of it in the month of `day` (a window «to the 31st» ends with a shorter month)."""
        return day.replace(day=min(self.last, month_days(day)))

    def next_opening(self, day: date) -> date:
        """The next day it opens after `day` (today, if it opens today and is not open yet)."""
        if day.day < self.first:
            return self.opens(day)
        return self.opens(add_months(period_of(day), 1))


def current() -> Window:
    values = company.get_all("meter_window_first", "meter_window_last")
    return Window(int(values["meter_window_first"]), int(values["meter_window_last"]))
