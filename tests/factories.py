"""Factories for tests. They build objects through the services, so tests exercise the
same rules (groups, collections, NIP checks) as the admin and the importer."""

import datetime

import factory

from lms.people import services
from lms.people.models import Agency, City, LearnerProfile, User
from lms.people.nip import make_nip

PASSWORD = "rahasia-uji-123"


class CityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = City

    name = factory.Sequence(lambda n: f"Kota Uji {n}")
    slug = factory.Sequence(lambda n: f"kota-uji-{n}")
    bkpsdm_name = factory.LazyAttribute(lambda o: f"BKPSDM {o.name}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.city_create(**kwargs)


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    city = factory.SubFactory(CityFactory)
    name = factory.Sequence(lambda n: f"Dinas Uji {n}")
    code = factory.Sequence(lambda n: f"DU{n}")
    kind = Agency.Kind.OFFICE
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.agency_create(**kwargs)


def nip_for(n: int, *, gender: str = "1") -> str:
    """A valid, unique PNS NIP for the n-th test learner."""
    birth = datetime.date(1970, 1, 1) + datetime.timedelta(days=(n * 37) % 9000)
    return make_nip(birth, birth.year + 25, (n % 12) + 1, gender, (n % 999) + 1)


class LearnerFactory(factory.django.DjangoModelFactory):
    """A LearnerProfile (with its user), created by services.learner_create."""

    class Meta:
        model = LearnerProfile

    city = factory.SubFactory(CityFactory)
    nip = factory.Sequence(lambda n: nip_for(n + 1))
    full_name = factory.Sequence(lambda n: f"Pegawai Uji {n}")
    email = factory.Sequence(lambda n: f"pegawai{n}@example.go.id")
    password = PASSWORD
    agency = None
    supervisor = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.learner_create(**kwargs)


class StaffUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"staf{n}")
    email = factory.Sequence(lambda n: f"staf{n}@example.go.id")
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.staff_user_create(**kwargs)


def city_admin(city: City) -> User:
    user = StaffUserFactory()
    services.role_assign(user=user, role="city_admin", city=city)
    return user


def trainer(city: City) -> User:
    user = StaffUserFactory()
    services.role_assign(user=user, role="trainer", city=city)
    return user


def national_admin() -> User:
    user = StaffUserFactory()
    services.role_assign(user=user, role="national_admin")
    return user


# --- learner rosters for the bulk import (lms.people.importing) ---------------------------

ROSTER_COLUMNS = ("nip", "nama", "email", "golongan", "jabatan", "unit_kerja", "nip_atasan")


def roster_row(n: int, **values) -> dict:
    """One valid roster row for the n-th learner; keyword arguments override columns."""
    row = {
        "nip": nip_for(n),
        "nama": f"Pegawai Impor {n}",
        "email": f"impor{n}@example.go.id",
        "golongan": "III/a",
        "jabatan": "Analis Kebijakan",
        "unit_kerja": "",
        "nip_atasan": "",
    }
    row.update(values)
    return row


def _roster_value(row: dict, column: str):
    # Headers may be written "NIP" or "unit kerja"; the row's keys are the column names.
    if column in row:
        return row[column]
    return row.get(column.strip().lower().replace(" ", "_"), "")


def roster_csv(rows: list[dict], *, columns=None, delimiter: str = ",", bom: bool = False) -> bytes:
    """A roster as CSV bytes, columns in the given order (default: the first row's keys)."""
    import csv
    import io

    columns = list(columns or (rows[0].keys() if rows else ROSTER_COLUMNS))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_roster_value(row, column) for column in columns])
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8")


def roster_xlsx(rows: list[dict], *, columns=None) -> bytes:
    """A roster as XLSX bytes (first sheet), every cell written as text."""
    import io

    import openpyxl

    columns = list(columns or (rows[0].keys() if rows else ROSTER_COLUMNS))
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(columns)
    for row in rows:
        sheet.append([_roster_value(row, column) for column in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
