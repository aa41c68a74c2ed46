"""The people of the demo: five seed cities, their agencies and about 20 ASN each.

Everything is deterministic (seeded by the city slug) so README can list real NIPs and a
second run of `load_demo_data` finds exactly what the first one made.
"""

import datetime
import random
from dataclasses import dataclass

from lms.people.models import Agency, City, LearnerProfile

DEMO_PASSWORD = "demo-asn"


@dataclass(frozen=True)
class DemoCity:
    slug: str
    name: str
    bkpsdm_name: str
    timezone: str
    district: str
    men: tuple[str, ...]
    women: tuple[str, ...]
    surnames: tuple[str, ...]


CITIES = [
    DemoCity(
        "bukittinggi",
        "Kota Bukittinggi",
        "BKPSDM Kota Bukittinggi",
        City.TimeZone.WIB,
        "Kecamatan Guguk Panjang",
        ("Rahmat", "Andri", "Rizki", "Hendra", "Ilham", "Fadli", "Yoga", "Aldi"),
        ("Nurul", "Yulia", "Fitri", "Silvia", "Rahmi", "Wulan", "Mega", "Annisa"),
        ("Hidayat", "Syahputra", "Darmawan", "Marni", "Putri", "Chaniago", "Piliang", "Tanjung"),
    ),
    DemoCity(
        "sorong",
        "Kota Sorong",
        "BKPSDM Kota Sorong",
        City.TimeZone.WIT,
        "Distrik Sorong Manoi",
        ("Yohanes", "Daniel", "Markus", "Yosias", "Petrus", "Agustinus", "Frans", "Simon"),
        ("Maria", "Yuliana", "Ester", "Selfina", "Debora", "Martha", "Agustina", "Yohana"),
        ("Kambuaya", "Mambrasar", "Rumbiak", "Kareth", "Sawaki", "Yable", "Klasin", "Malak"),
    ),
    DemoCity(
        "jakarta",
        "Pemprov DKI Jakarta",
        "BPSDM Provinsi DKI Jakarta",
        City.TimeZone.WIB,
        "Kecamatan Menteng",
        ("Budi", "Agus", "Dimas", "Fajar", "Reza", "Teguh", "Arief", "Bayu"),
        ("Siti", "Dian", "Ratna", "Intan", "Ayu", "Lestari", "Nadia", "Rina"),
        ("Santoso", "Wijaya", "Pratama", "Saputra", "Kusuma", "Nugroho", "Rahayu", "Setiawan"),
    ),
    DemoCity(
        "palu",
        "Kota Palu",
        "BKPSDM Kota Palu",
        City.TimeZone.WITA,
        "Kecamatan Palu Barat",
        ("Moh. Rizal", "Andi", "Irfan", "Syahrul", "Abdul", "Hasan", "Zulkifli", "Ramli"),
        ("Nurhayati", "Sri", "Hasnah", "Fatmawati", "Rosmiati", "Nurul", "Hartati", "Wahyuni"),
        (
            "Lamakarate",
            "Tombolotutu",
            "Lasandu",
            "Djanggola",
            "Mardjun",
            "Bandu",
            "Alatas",
            "Pettalolo",
        ),
    ),
    DemoCity(
        "semarang",
        "Kota Semarang",
        "BKPP Kota Semarang",
        City.TimeZone.WIB,
        "Kecamatan Semarang Tengah",
        ("Bambang", "Joko", "Wahyu", "Slamet", "Eko", "Hari", "Yudi", "Purnomo"),
        ("Endang", "Sri", "Tri", "Wahyuningsih", "Puji", "Retno", "Ningsih", "Dwi"),
        ("Susilo", "Prasetyo", "Widodo", "Handoko", "Sulistyo", "Purwanto", "Hartono", "Utomo"),
    ),
]

# (code, name, kind, parent code) — a realistic slice of a city's OPD tree.
AGENCIES = [
    ("SETDA", "Sekretariat Daerah", Agency.Kind.SECRETARIAT, None),
    ("BAG-ORG", "Bagian Organisasi", Agency.Kind.DIVISION, "SETDA"),
    ("KOMINFO", "Dinas Komunikasi dan Informatika", Agency.Kind.OFFICE, None),
    ("KOMINFO-APTIKA", "Bidang Aplikasi Informatika", Agency.Kind.DIVISION, "KOMINFO"),
    ("KOMINFO-STAT", "Bidang Statistik dan Persandian", Agency.Kind.DIVISION, "KOMINFO"),
    ("BKPSDM", "Badan Kepegawaian dan Pengembangan SDM", Agency.Kind.BOARD, None),
    ("DUKCAPIL", "Dinas Kependudukan dan Pencatatan Sipil", Agency.Kind.OFFICE, None),
    ("DINKES", "Dinas Kesehatan", Agency.Kind.OFFICE, None),
    ("KEC", None, Agency.Kind.DISTRICT, None),  # named after the city's district
]


@dataclass(frozen=True)
class DemoPerson:
    index: int
    agency_code: str
    golongan: str
    jabatan_type: str
    jabatan_name: str
    supervisor_index: int | None
    employment_type: str = LearnerProfile.EmploymentType.PNS


J = LearnerProfile.JabatanType
# Twenty people per city: two supervision chains deep enough to show indirect staff.
PEOPLE = [
    DemoPerson(0, "KOMINFO", "IV/c", J.LEADERSHIP, "Kepala Dinas Komunikasi dan Informatika", None),
    DemoPerson(
        1, "KOMINFO-APTIKA", "IV/a", J.ADMINISTRATOR, "Kepala Bidang Aplikasi Informatika", 0
    ),
    DemoPerson(
        2, "KOMINFO-STAT", "IV/a", J.ADMINISTRATOR, "Kepala Bidang Statistik dan Persandian", 0
    ),
    DemoPerson(3, "KOMINFO-APTIKA", "III/d", J.FUNCTIONAL, "Pranata Komputer Ahli Muda", 1),
    DemoPerson(4, "KOMINFO-APTIKA", "III/c", J.FUNCTIONAL, "Pranata Komputer Ahli Pertama", 1),
    DemoPerson(5, "KOMINFO-APTIKA", "III/b", J.FUNCTIONAL, "Pranata Komputer Ahli Pertama", 1),
    DemoPerson(6, "KOMINFO-APTIKA", "II/c", J.EXECUTOR, "Pengelola Sistem Informasi", 1),
    DemoPerson(
        7,
        "KOMINFO-APTIKA",
        "III/a",
        J.FUNCTIONAL,
        "Pranata Komputer Ahli Pertama",
        1,
        LearnerProfile.EmploymentType.PPPK,
    ),
    DemoPerson(8, "KOMINFO-STAT", "III/c", J.FUNCTIONAL, "Statistisi Ahli Muda", 2),
    DemoPerson(9, "KOMINFO-STAT", "III/b", J.FUNCTIONAL, "Sandiman Ahli Pertama", 2),
    DemoPerson(10, "KOMINFO-STAT", "II/d", J.EXECUTOR, "Pengolah Data", 2),
    DemoPerson(
        11, "DUKCAPIL", "IV/b", J.LEADERSHIP, "Kepala Dinas Kependudukan dan Pencatatan Sipil", None
    ),
    DemoPerson(12, "DUKCAPIL", "III/c", J.EXECUTOR, "Analis Kependudukan", 11),
    DemoPerson(13, "DUKCAPIL", "II/b", J.EXECUTOR, "Petugas Pelayanan Adminduk", 11),
    DemoPerson(14, "BKPSDM", "III/d", J.FUNCTIONAL, "Analis SDM Aparatur Ahli Muda", None),
    DemoPerson(15, "BKPSDM", "III/a", J.FUNCTIONAL, "Analis SDM Aparatur Ahli Pertama", 14),
    DemoPerson(16, "DINKES", "III/b", J.FUNCTIONAL, "Epidemiolog Kesehatan Ahli Pertama", None),
    DemoPerson(17, "KEC", "III/d", J.ADMINISTRATOR, "Sekretaris Kecamatan", None),
    DemoPerson(18, "KEC", "II/c", J.EXECUTOR, "Pengadministrasi Umum", 17),
    DemoPerson(
        19, "BAG-ORG", "III/a", J.EXECUTOR, "Penata Kelola Sistem dan Teknologi Informasi", None
    ),
]


@dataclass(frozen=True)
class PersonData:
    nip: str
    full_name: str
    gender: str
    birth_date: datetime.date
    email: str


def person_data(city: DemoCity, person: DemoPerson) -> PersonData:
    """Name, NIP and email of one demo person, the same on every run."""
    rng = random.Random(f"{city.slug}-{person.index}")
    gender = "2" if person.index % 3 == 1 else "1"
    first = rng.choice(city.women if gender == "2" else city.men)
    last = city.surnames[person.index % len(city.surnames)]
    birth = datetime.date(1968, 1, 1) + datetime.timedelta(days=rng.randrange(0, 26 * 365))
    start_year = min(birth.year + rng.randrange(22, 30), 2023)
    start_month = rng.randrange(1, 13)
    from lms.people.nip import make_nip

    nip = make_nip(birth, start_year, start_month, gender, person.index + 1)
    local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
    local = "".join(ch for ch in local if ch.isalnum() or ch == ".")
    return PersonData(
        nip=nip,
        full_name=f"{first} {last}",
        gender=gender,
        birth_date=birth,
        email=f"{local}.{person.index}@{city.slug}.go.id",
    )
