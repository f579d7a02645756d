"""Holiday and calendar features on known dates."""

from __future__ import annotations

import numpy as np
import pytest

from tsauto.core.exceptions import DataValidationError
from tsauto.forecasting.features.calendar import calendar_features, calendar_names
from tsauto.forecasting.features.holiday import holiday_dates, holiday_features, holiday_features_by_series


def _days(*dates: str) -> np.ndarray:
    return np.array(dates, dtype="datetime64[ns]")


def test_independence_day_is_a_us_holiday() -> None:
    out = holiday_features(_days("2024-07-04", "2024-07-01", "2024-07-06"), "US", "D")
    np.testing.assert_array_equal(out[:, 0], [1, 0, 0])  # is holiday
    np.testing.assert_array_equal(out[:, 1], [0, 3, 58])  # days to next (Labor Day 2024-09-02)
    np.testing.assert_array_equal(out[:, 2], [0, 12, 2])  # days since last (Juneteenth 06-19)


def test_weekly_stamps_count_holidays_in_their_week() -> None:
    # Walmart's weeks end on Friday (W-FRI); 2012-09-07 holds Labor Day (Mon 09-03)
    out = holiday_features(_days("2012-09-07", "2012-09-14"), "US", "W-FRI")
    np.testing.assert_array_equal(out[:, 0], [1, 0])


def test_per_series_countries() -> None:
    times = _days("2024-01-26", "2024-01-26")  # Australia Day
    out = holiday_features_by_series(times, np.array(["AU", "US"], dtype=object), "D")
    np.testing.assert_array_equal(out[:, 0], [1, 0])


def test_unknown_country_is_a_clear_error() -> None:
    with pytest.raises(DataValidationError, match="ISO code"):
        holiday_features(_days("2024-01-01"), "Atlantis", "D")


def test_calendar_by_frequency() -> None:
    assert calendar_names("MS") == ("month",)
    assert calendar_names(None) == ()
    names = calendar_names("h")
    out = calendar_features(_days("2024-07-04T13:00"), names)
    assert dict(zip(names, out[0])) == {"hour": 13, "dayofweek": 3, "dayofyear": 186}


def test_a_code_of_another_case_or_an_unknown_region_gets_the_codes_known() -> None:
    """holidays='au-vic' was refused as "Country au not available", and 'AU-XX' named no region
    of Australia (user test 57): the first is given as the package spells it, the second with
    the country's regions (a few, where they are many)."""
    with pytest.raises(DataValidationError, match=r"^holidays='au-vic': the holidays package knows it as 'AU-VIC' "
                       r"\(its codes are case-sensitive\): give holidays='AU-VIC'\.$"):
        holiday_dates("au-vic", 2014, 2015)
    with pytest.raises(DataValidationError) as err:
        holiday_dates("AU-XX", 2014, 2015)
    assert str(err.value).startswith(
        "holidays='AU-XX': the holidays package knows 'AU' but not its region 'XX'; its regions are 'ACT', 'NSW', "), err
    assert "'VIC'" in str(err.value) and "give e.g. holidays='AU-ACT', or 'AU' alone" in str(err.value)
    with pytest.raises(DataValidationError, match=r"'AK', .* and \d+ more \(holidays.list_supported_countries\(\)"):
        holiday_dates("US-XX", 2014, 2015)


def test_a_country_without_regions_a_space_or_a_code_spelled_right_get_their_own_advice(monkeypatch) -> None:
    """'AL-XX' (a country with no regions) raised IndexError, 'US-CA ' was told of case, and a
    code spelled as the package spells it that failed otherwise was told to give itself (review 55)."""
    with pytest.raises(DataValidationError, match=r"^holidays='AL-XX': the holidays package knows 'AL', "
                       r"which has no regions: give holidays='AL' for its national holidays\.$"):
        holiday_dates("AL-XX", 2014, 2015)
    with pytest.raises(DataValidationError, match=r"^holidays='US-CA ': the holidays package knows it as 'US-CA' "
                       r"\(its codes have no spaces\): give holidays='US-CA'\.$"):
        holiday_dates("US-CA ", 2014, 2015)
    with pytest.raises(DataValidationError, match=r"knows it as 'US-CA' \(its codes are case-sensitive and have "
                       r"no spaces\)"):
        holiday_dates("us-ca ", 2014, 2015)
    import holidays

    def refuse(*args, **kwargs):
        raise NotImplementedError("no calendar for these years")

    monkeypatch.setattr(holidays, "country_holidays", refuse)
    with pytest.raises(DataValidationError) as err:
        holiday_dates("US-CA", 1601, 1602)
    assert "no calendar for these years" in str(err.value) and "give holidays='US-CA'" not in str(err.value), err
