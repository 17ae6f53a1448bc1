"""National limits follow the Protocol's control schedules (issue 13, acceptance 4)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from certreg.quotas import schedules

BASELINE = Decimal("200")  # ODP or CO2-eq tonnes

# (schedule, year, limit as a percentage of the baseline; None: no limit yet)
TABLE = [
    ("hcfc_a5", 2012, None), ("hcfc_a5", 2013, "100"), ("hcfc_a5", 2014, "100"), ("hcfc_a5", 2015, "90"),
    ("hcfc_a5", 2019, "90"), ("hcfc_a5", 2020, "65"), ("hcfc_a5", 2025, "32.5"), ("hcfc_a5", 2029, "32.5"),
    ("hcfc_a5", 2030, "2.5"), ("hcfc_a5", 2039, "2.5"), ("hcfc_a5", 2040, "0"), ("hcfc_a5", 2050, "0"),
    ("hcfc_non_a5", 1995, None), ("hcfc_non_a5", 1996, "100"), ("hcfc_non_a5", 2004, "65"),
    ("hcfc_non_a5", 2010, "25"), ("hcfc_non_a5", 2015, "10"), ("hcfc_non_a5", 2020, "0.5"),
    ("hcfc_non_a5", 2029, "0.5"), ("hcfc_non_a5", 2030, "0"),
    ("hfc_a5_group1", 2023, None), ("hfc_a5_group1", 2024, "100"), ("hfc_a5_group1", 2029, "90"),
    ("hfc_a5_group1", 2035, "70"), ("hfc_a5_group1", 2040, "50"), ("hfc_a5_group1", 2045, "20"),
    ("hfc_a5_group2", 2027, None), ("hfc_a5_group2", 2028, "100"), ("hfc_a5_group2", 2032, "90"),
    ("hfc_a5_group2", 2037, "80"), ("hfc_a5_group2", 2042, "70"), ("hfc_a5_group2", 2047, "15"),
    ("hfc_non_a5", 2018, None), ("hfc_non_a5", 2019, "90"), ("hfc_non_a5", 2024, "60"), ("hfc_non_a5", 2029, "30"),
    ("hfc_non_a5", 2034, "20"), ("hfc_non_a5", 2036, "15"),
    ("hfc_non_a5_later", 2019, None), ("hfc_non_a5_later", 2020, "95"), ("hfc_non_a5_later", 2025, "65"),
    ("hfc_non_a5_later", 2029, "30"), ("hfc_non_a5_later", 2034, "20"), ("hfc_non_a5_later", 2036, "15"),
]


@pytest.mark.parametrize("schedule,year,percent", TABLE)
def test_the_limit_follows_the_schedule(schedule, year, percent):
    expected = None if percent is None else (BASELINE * Decimal(percent) / 100).quantize(Decimal("0.000001"))
    assert schedules.national_limit(schedule, BASELINE, year) == expected


@pytest.mark.parametrize("country,group,schedule", [
    ("KG", "C/I", "hcfc_a5"), ("KG", "F", "hfc_a5_group1"),
    ("KZ", "C/I", "hcfc_non_a5"), ("KZ", "F", "hfc_non_a5_later"), ("UZ", "F", "hfc_non_a5_later"),
    ("TJ", "F", "hfc_non_a5_later"), ("IN", "F", "hfc_a5_group2"),
])
def test_each_country_follows_its_groups_schedule(app, country, group, schedule):
    assert schedules.schedule_for(country, group) == schedule


def test_every_step_names_its_source():
    rows = schedules._rows("control_schedules.csv") + schedules._rows("kigali_groups.csv")
    assert rows and all(row["source"].strip() for row in rows)


# The phased-out groups (Annexes A, B, C/II, C/III, E): a few steps each, Article 5 and not.
OTHER_GROUPS = [
    ("cfc_non_a5", 1988, None), ("cfc_non_a5", 1989, "100"), ("cfc_non_a5", 1994, "25"), ("cfc_non_a5", 1996, "0"),
    ("cfc_a5", 1999, "100"), ("cfc_a5", 2005, "50"), ("cfc_a5", 2007, "15"), ("cfc_a5", 2010, "0"),
    ("halon_non_a5", 1992, "100"), ("halon_non_a5", 1994, "0"), ("halon_a5", 2005, "50"), ("halon_a5", 2010, "0"),
    ("other_cfc_a5", 2003, "80"), ("ctc_a5", 2005, "15"), ("tca_a5", 2010, "30"), ("tca_a5", 2015, "0"),
    ("mebr_non_a5", 1999, "75"), ("mebr_non_a5", 2003, "30"), ("mebr_a5", 2005, "80"), ("mebr_a5", 2015, "0"),
    ("hbfc_a5", 1996, "0"), ("bcm_non_a5", 2002, "0"),
]


@pytest.mark.parametrize("schedule,year,percent", OTHER_GROUPS)
def test_the_phased_out_groups_follow_their_schedules(schedule, year, percent):
    expected = None if percent is None else (BASELINE * Decimal(percent) / 100).quantize(Decimal("0.000001"))
    assert schedules.national_limit(schedule, BASELINE, year) == expected


def test_every_group_ends_when_the_countries_phase_out_table_bans_it(app):
    """The schedules reach 0 % in the year the virgin substance is banned (``countries/data/phaseouts.csv``)."""
    from certreg.countries import protocol

    for row in protocol.phase_outs():
        country = "KG" if row.party_group is protocol.PartyGroup.ARTICLE_5 else "RU"
        assert protocol.party_group(country) is row.party_group
        steps = schedules.schedules()[schedules.schedule_for(country, row.control_group)]
        first_zero = min(year for year, percent in steps if percent == 0)
        assert first_zero == row.ban_from.year, row
        assert all(percent > 0 for year, percent in steps if year < first_zero), row


def test_every_quota_group_has_a_schedule_and_a_unit(app):
    for group in schedules.QUOTA_GROUPS:
        for country in ("KG", "KZ"):
            assert schedules.schedule_for(country, group) in schedules.schedules()
        assert schedules.unit_of(group) == ("co2e_t" if group == "F" else "odp_t")
