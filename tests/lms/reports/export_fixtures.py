"""A small hand-made data set for the export tests: Jakarta (an agency with a unit below
it, and another agency) and Sorong, learners with NIPs, course completions of this year
and last, and JP totals, written straight into the record tables so these tests depend
only on the models."""

import datetime
import itertools
import uuid
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from lms.records.models import CourseCompletion, LearnerYear
from tests.factories import AgencyFactory, CityFactory, LearnerFactory, city_admin

YEAR = timezone.localdate().year
_certificates = itertools.count(1)


def complete(learner, *, year=YEAR, title="Keamanan Digital", jp=4, form="e_learning", **extra):
    started = datetime.date(year, 3, 2)
    return CourseCompletion.objects.create(
        learner=learner,
        city=learner.city,
        course_key=extra.pop("course_key", uuid.uuid4()),
        course_title=title,
        organiser=extra.pop("organiser", f"BKPSDM {learner.city.name}"),
        learning_form=form,
        jp=jp,
        started_on=started,
        completed_on=started + datetime.timedelta(days=5),
        year=year,
        completed_at=timezone.make_aware(datetime.datetime(year, 3, 7, 10, 0)),
        certificate_number=f"UJI-{next(_certificates):06d}",
        criteria={},
    )


@dataclass
class Data:
    jakarta: object
    sorong: object
    dinas: object  # Jakarta agency with a unit below it
    bidang: object  # unit under dinas
    kantor: object  # another Jakarta agency
    admin: object  # Jakarta's admin
    sorong_admin: object
    learners: dict = field(default_factory=dict)
    completions: dict = field(default_factory=dict)


@pytest.fixture(name="data")
def data_fixture(db):
    jakarta = CityFactory(name="Jakarta", slug="jakarta")
    sorong = CityFactory(name="Sorong", slug="sorong", timezone="Asia/Jayapura")
    dinas = AgencyFactory(city=jakarta, name="Dinas Komunikasi")
    bidang = AgencyFactory(city=jakarta, name="Bidang Statistik", parent=dinas)
    kantor = AgencyFactory(city=jakarta, name="Badan Keuangan")
    data = Data(jakarta, sorong, dinas, bidang, kantor, city_admin(jakarta), city_admin(sorong))
    people = {
        "ani": (jakarta, dinas, "Ani Wijaya"),
        "budi": (jakarta, bidang, "Budi Santoso"),
        "citra": (jakarta, kantor, "Citra Lestari"),
        "dewi": (jakarta, None, "Dewi Anggraini"),
        "yohanes": (sorong, None, "Yohanes Kambu"),
    }
    for key, (city, agency, name) in people.items():
        data.learners[key] = LearnerFactory(city=city, agency=agency, full_name=name)
    learners = data.learners
    data.completions = {
        "ani": complete(learners["ani"], title="Keamanan Digital", jp=4),
        "ani_ws": complete(
            learners["ani"], title="=Tata Kelola Data", jp=8, form="workshop", organiser="Kominfo"
        ),
        "budi": complete(learners["budi"], title="Literasi Digital", jp=2),
        "citra": complete(learners["citra"], title="Keamanan Digital", jp=3),
        "ani_last_year": complete(learners["ani"], year=YEAR - 1, title="Tahun Lalu", jp=6),
        "yohanes": complete(learners["yohanes"], title="Keamanan Digital Sorong", jp=5),
    }
    # JP totals this year: Ani 24 (meets 20), Budi 12, Citra 3, Dewi none; Yohanes in Sorong.
    for key, jp in (("ani", 24), ("budi", 12), ("citra", 3), ("yohanes", 1)):
        LearnerYear.objects.create(learner=learners[key], year=YEAR, jp=jp)
    LearnerYear.objects.create(learner=learners["dewi"], year=YEAR - 1, jp=30)
    return data
