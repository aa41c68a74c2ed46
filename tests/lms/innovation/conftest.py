from dataclasses import dataclass

import pytest

from tests.factories import AgencyFactory, CityFactory, LearnerFactory, city_admin


@dataclass
class World:
    city: object
    other_city: object
    kominfo: object
    kominfo_aptika: object
    dinkes: object
    dukcapil: object
    admin: object
    other_admin: object
    lead: object  # learner in Dinkes
    colleague: object  # learner in Dukcapil
    bystander: object  # learner in Dinkes, on no team
    outsider: object  # learner of the other city
    judge: object  # learner in Kominfo (root)
    judge_aptika: object  # learner in a division of Kominfo
    judge_dukcapil: object  # learner in Dukcapil: conflicted with the colleague's team


@pytest.fixture
def world(db) -> World:
    city = CityFactory(name="Kota Bukittinggi", slug="bukittinggi")
    other_city = CityFactory(name="Kota Sorong", slug="sorong")
    kominfo = AgencyFactory(city=city, name="Dinas Kominfo", code="KOMINFO")
    aptika = AgencyFactory(city=city, name="Bidang Aptika", code="APTIKA", parent=kominfo)
    dinkes = AgencyFactory(city=city, name="Dinas Kesehatan", code="DINKES")
    dukcapil = AgencyFactory(city=city, name="Dinas Dukcapil", code="DUKCAPIL")
    other_agency = AgencyFactory(city=other_city, name="Dinas Kominfo Sorong", code="KOMINFO")
    return World(
        city=city,
        other_city=other_city,
        kominfo=kominfo,
        kominfo_aptika=aptika,
        dinkes=dinkes,
        dukcapil=dukcapil,
        admin=city_admin(city),
        other_admin=city_admin(other_city),
        lead=LearnerFactory(city=city, agency=dinkes, full_name="Rina Marlina"),
        colleague=LearnerFactory(city=city, agency=dukcapil, full_name="Budi Santoso"),
        bystander=LearnerFactory(city=city, agency=dinkes, full_name="Sari Dewi"),
        outsider=LearnerFactory(city=other_city, agency=other_agency, full_name="Yohanes Kambu"),
        judge=LearnerFactory(city=city, agency=kominfo, full_name="Juri Satu"),
        judge_aptika=LearnerFactory(city=city, agency=aptika, full_name="Juri Dua"),
        judge_dukcapil=LearnerFactory(city=city, agency=dukcapil, full_name="Juri Tiga"),
    )
