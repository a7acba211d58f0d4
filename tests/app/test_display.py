"""Display helpers of the pages: stored UTC times shown as French local time."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from app_pages._common import fmt_datetime, with_local_times


def test_times_are_shown_in_paris_time_winter_and_summer():
    assert fmt_datetime(dt.datetime(2026, 12, 1, 8, 38, tzinfo=dt.UTC)) == "01/12/2026 09:38"
    assert fmt_datetime(dt.datetime(2026, 7, 1, 8, 38, tzinfo=dt.UTC)) == "01/07/2026 10:38"
    # SQLite gives naive datetimes: they are UTC
    assert fmt_datetime(dt.datetime(2026, 12, 31, 23, 30)) == "01/01/2027 00:30"
    assert fmt_datetime(dt.datetime(2026, 12, 31, 23, 30), "%d/%m/%Y") == "01/01/2027"
    assert fmt_datetime(None) == fmt_datetime(pd.NaT) == "non renseigné"


def test_time_columns_of_a_table_are_converted_others_untouched():
    frame = pd.DataFrame(
        {"at": [dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC), None], "reason": ["a", "b"]}
    )
    shown = with_local_times(frame)
    assert shown["at"].tolist() == ["01/01/2026 13:00", "non renseigné"]
    assert shown["reason"].tolist() == ["a", "b"]
    assert isinstance(frame["at"].iloc[0], dt.datetime)  # the input is not modified
