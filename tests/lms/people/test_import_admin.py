import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.translation import override

from lms.people.admin.importer import importable_cities
from lms.people.importing import COLUMNS, TEMPLATE_EXAMPLE
from lms.people.models import LearnerProfile
from tests.factories import (
    CityFactory,
    LearnerFactory,
    StaffUserFactory,
    city_admin,
    national_admin,
    nip_for,
    roster_csv,
    roster_row,
    roster_xlsx,
    trainer,
)
from tests.lms.people.test_import import db_state

IMPORT_URL = "people_learner_import"


@pytest.fixture
def sorong(db):
    return CityFactory(name="Kota Sorong", slug="sorong")


@pytest.fixture
def palu(db):
    return CityFactory(name="Kota Palu", slug="palu")


def upload(content: bytes, name="pegawai.csv"):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def post(client, user, data):
    client.force_login(user)
    with override("en"):
        return client.post(reverse(IMPORT_URL), data, HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.django_db
class ImportPermissionTests:
    def test_cities_a_user_may_import_into(self, sorong, palu):
        assert list(importable_cities(city_admin(sorong))) == [sorong]
        assert set(importable_cities(national_admin())) == {sorong, palu}
        assert not importable_cities(trainer(sorong)).exists()
        assert not importable_cities(StaffUserFactory()).exists()
        superuser = StaffUserFactory()
        superuser.is_superuser = True
        assert set(importable_cities(superuser)) == {sorong, palu}

    def test_menu_item_for_city_and_national_admins_only(self, client, sorong):
        for user, shown in [
            (city_admin(sorong), True),
            (national_admin(), True),
            (trainer(sorong), False),
        ]:
            client.force_login(user)
            response = client.get(reverse("wagtailadmin_home"))
            assert response.status_code == 200
            assert (reverse(IMPORT_URL) in response.content.decode()) is shown

    def test_trainer_is_refused(self, client, sorong):
        client.force_login(trainer(sorong))
        response = client.get(reverse(IMPORT_URL))
        assert response.status_code == 302
        assert response.url == reverse("wagtailadmin_home")
        response = client.get(reverse("people_learner_import_template_csv"))
        assert response.status_code == 302

    def test_other_city_admin_cannot_import_into_it(self, client, sorong, palu):
        admin = city_admin(sorong)
        before = db_state()
        response = post(
            client,
            admin,
            {"file": upload(roster_csv([roster_row(7001)])), "city": palu.pk, "dry_run": ""},
        )
        assert response.status_code == 200
        assert (
            "You may import learners only into a city you administer" in response.content.decode()
        )
        assert db_state() == before
        assert not LearnerProfile.objects.filter(city=palu).exists()

    def test_city_admin_sees_only_their_city(self, client, sorong, palu):
        client.force_login(city_admin(sorong))
        response = client.get(reverse(IMPORT_URL))
        assert response.status_code == 200
        choices = list(response.context["form"].fields["city"].queryset)
        assert choices == [sorong]


@pytest.mark.django_db
class ImportViewTests:
    def test_dry_run_reports_and_writes_nothing(self, client, sorong):
        admin = city_admin(sorong)
        before = db_state()
        response = post(
            client,
            admin,
            {"file": upload(roster_csv([roster_row(7002)])), "city": sorong.pk, "dry_run": "on"},
        )
        assert response.status_code == 200
        report = response.context["report"]
        assert report.ok and report.dry_run and report.created == 1
        assert "Dry run: 1 row can be imported" in response.content.decode()
        assert db_state() == before
        # The next upload is the real import.
        assert response.context["next_form"].initial["dry_run"] is False

    def test_real_import_into_own_city(self, client, sorong):
        rows = [roster_row(7003), roster_row(7004, nip_atasan=nip_for(7003))]
        response = post(
            client,
            city_admin(sorong),
            {"file": upload(roster_xlsx(rows), "pegawai.xlsx"), "city": sorong.pk},
        )
        assert response.status_code == 200
        assert response.context["report"].applied
        assert LearnerProfile.objects.get(nip=nip_for(7004)).supervisor.nip == nip_for(7003)
        assert LearnerProfile.objects.get(nip=nip_for(7004)).city == sorong

    @pytest.mark.parametrize(
        ("builder", "name"), [(roster_csv, "pegawai.csv"), (roster_xlsx, "pegawai.xlsx")]
    )
    def test_large_upload_read_from_a_temporary_file(self, client, sorong, settings, builder, name):
        # Uploads over FILE_UPLOAD_MAX_MEMORY_SIZE reach the view as a file on disk.
        settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100
        rows = [roster_row(n) for n in range(7100, 7150)]
        response = post(
            client, city_admin(sorong), {"file": upload(builder(rows), name), "city": sorong.pk}
        )
        assert response.context["report"].applied, response.context["report"].errors
        assert LearnerProfile.objects.filter(city=sorong).count() == 50

    def test_national_admin_chooses_any_city(self, client, sorong, palu):
        response = post(
            client,
            national_admin(),
            {"file": upload(roster_csv([roster_row(7005)])), "city": palu.pk},
        )
        assert response.context["report"].applied
        assert LearnerProfile.objects.get(nip=nip_for(7005)).city == palu

    def test_bad_file_lists_row_column_and_message(self, client, sorong):
        LearnerFactory(city=sorong, nip=nip_for(7006))
        rows = [
            roster_row(7006, nama="Diubah"),
            roster_row(7007, nip_atasan=nip_for(7999)),
            roster_row(7008, unit_kerja="TIDAKADA"),
        ]
        admin = city_admin(sorong)
        before = db_state()
        response = post(client, admin, {"file": upload(roster_csv(rows)), "city": sorong.pk})
        assert response.status_code == 200
        html = response.content.decode()
        assert 'data-row="3" data-column="nip_atasan" data-code="supervisor_unknown"' in html
        assert 'data-row="4" data-column="unit_kerja" data-code="agency_unknown"' in html
        assert "Kota Sorong has no agency with the code or name “TIDAKADA”" in html
        assert "Nothing was imported" in html
        assert db_state() == before

    def test_binary_file_renamed_csv(self, client, sorong):
        admin = city_admin(sorong)
        before = db_state()
        response = post(
            client,
            admin,
            {"file": upload(b"\x89PNG\r\n\x1a\n" + bytes(range(256))), "city": sorong.pk},
        )
        assert [issue.code for issue in response.context["report"].errors] == ["file_not_csv"]
        assert db_state() == before

    def test_missing_file_is_a_form_error(self, client, sorong):
        response = post(client, city_admin(sorong), {"city": sorong.pk})
        assert response.status_code == 200
        assert response.context["form"].errors["file"]


@pytest.mark.django_db
class TemplateDownloadTests:
    def test_csv_template(self, client, sorong):
        client.force_login(city_admin(sorong))
        response = client.get(reverse("people_learner_import_template_csv"))
        assert response.status_code == 200
        assert response["Content-Disposition"].endswith('.csv"')
        lines = response.content.decode("utf-8-sig").splitlines()
        assert lines[0] == ",".join(COLUMNS)
        assert lines[1].split(",") == [TEMPLATE_EXAMPLE[column] for column in COLUMNS]
        assert len(lines) == 2

    def test_xlsx_template(self, client, sorong):
        client.force_login(national_admin())
        response = client.get(reverse("people_learner_import_template_xlsx"))
        assert response.status_code == 200
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[0]) == list(COLUMNS)
        assert list(rows[1]) == [TEMPLATE_EXAMPLE[column] for column in COLUMNS]
        # NIP cells are text: Excel must not turn them into numbers that lose digits.
        assert sheet["A2"].number_format == "@"
