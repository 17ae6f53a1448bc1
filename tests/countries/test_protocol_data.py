"""The shipped defaults against the Protocol, as transcribed by hand below.

Phase-out dates: UNEP Ozone Secretariat, Handbook for the Montreal Protocol (13th ed. 2019),
section 1.1, Articles 2A-2I and 5, and its summary of control measures; HCFC schedule as
adjusted by Decision XIX/6. Party groups: the Secretariat's classification of Parties
(Article 5, paragraph 1), Decision XVI/39 for Turkmenistan.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from certreg.countries import protocol
from certreg.countries.protocol import PartyGroup
from certreg.extensions import db
from certreg.registry.models import Country

A5, NON_A5 = PartyGroup.ARTICLE_5, PartyGroup.NON_ARTICLE_5

#: (annex/group): (non-Article 5 phase-out, Article 5 phase-out, non-A5 ban, A5 ban) — years, 1 January.
HANDBOOK = {
    "A/I": (1996, 2010, 1996, 2010),    # CFCs: Art. 2A(4); Art. 5
    "A/II": (1994, 2010, 1994, 2010),   # halons: Art. 2B(2)
    "B/I": (1996, 2010, 1996, 2010),    # other fully halogenated CFCs: Art. 2C(3)
    "B/II": (1996, 2010, 1996, 2010),   # carbon tetrachloride: Art. 2D(2)
    "B/III": (1996, 2015, 1996, 2015),  # methyl chloroform: Art. 2E(3)
    "C/I": (2020, 2030, 2030, 2040),    # HCFCs: Art. 2F(6) / 5(8 ter), Decision XIX/6; bans after servicing tails
    "C/II": (1996, 1996, 1996, 1996),   # HBFCs: Art. 2G, no grace period for Article 5 Parties
    "C/III": (2002, 2002, 2002, 2002),  # bromochloromethane: Art. 2I
    "E/I": (2005, 2015, 2005, 2015),    # methyl bromide: Art. 2H(5); Art. 5(8 ter)(d)
}

PARTY_GROUPS = {
    # Central Asia, China, Mongolia
    "KG": A5, "TM": A5, "CN": A5, "MN": A5, "KZ": NON_A5, "UZ": NON_A5, "TJ": NON_A5,
    # the ECA network and neighbours
    "AL": A5, "AM": A5, "BA": A5, "GE": A5, "MD": A5, "ME": A5, "MK": A5, "RS": A5, "TR": A5,
    "AZ": NON_A5, "BY": NON_A5, "RU": NON_A5, "UA": NON_A5,
}


@pytest.mark.parametrize("group", list(HANDBOOK))
def test_phase_out_dates_are_the_protocols(group):
    non_a5, a5, non_a5_ban, a5_ban = HANDBOOK[group]
    assert protocol.phase_out(group, NON_A5).phase_out == date(non_a5, 1, 1)
    assert protocol.phase_out(group, A5).phase_out == date(a5, 1, 1)
    assert protocol.default_bans(NON_A5)[group] == date(non_a5_ban, 1, 1)
    assert protocol.default_bans(A5)[group] == date(a5_ban, 1, 1)


def test_every_control_group_has_a_date_for_both_party_groups_and_nothing_else():
    assert {(r.control_group, r.party_group) for r in protocol.phase_outs()} == {
        (g, p) for g in HANDBOOK for p in PartyGroup}
    assert len(protocol.phase_outs()) == 2 * len(HANDBOOK) == 2 * len(protocol.CONTROL_GROUPS)


def test_party_groups_of_the_region():
    assert {code: protocol.party_group(code) for code in PARTY_GROUPS} == PARTY_GROUPS
    assert all(protocol.is_listed(code) for code in PARTY_GROUPS)


def test_every_country_certreg_serves_has_a_party_group():
    codes = set(db.session.scalars(sa.select(Country.code)))
    assert codes and codes <= set(protocol.parties())


def test_an_unlisted_country_gets_the_article_5_dates_the_latest_the_protocol_allows():
    assert not protocol.is_listed("FR") and protocol.party_group("FR") is A5
    assert all(protocol.default_bans(A5)[g] >= protocol.default_bans(NON_A5)[g] for g in HANDBOOK)


def test_every_controlled_substance_of_a_phased_out_group_is_covered(app):
    from certreg.substances.catalogue import Catalogue

    groups = {s.annex_group for s in Catalogue.load().substances() if s.annex and s.annex != "F"}
    assert groups == set(protocol.CONTROL_GROUPS)
