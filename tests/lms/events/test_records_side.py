"""What the records side makes of an attended event: the SIASN export carries it, the
certificate is the learner's to download, and a second call writes nothing."""

import pytest
from django.urls import reverse

from lms.events import services
from lms.records import event_services
from lms.records.models import Certificate, CourseCompletion, JpCredit
from lms.reports.exports import siasn_completions, siasn_row
from tests.factories import LearnerFactory

from .conftest import make_event

pytestmark = pytest.mark.django_db


def attend(learner, event):
    services.registration_create(learner=learner, event=event)
    services.checkin(learner=learner, event=event, code=services.checkin_code(event.sessions.get()))
    return CourseCompletion.objects.get(learner=learner, course_key=event.key)


class EventCompletionTests:
    def test_siasn_export_carries_the_event(self, city, learner, partner):
        event = make_event(city, partner=partner, session_minutes=135)
        completion = attend(learner, event)
        rows = [siasn_row(c) for c in siasn_completions(city=city, year=completion.year)]
        assert rows == [
            {
                "nipBaru": learner.nip,
                "namaKursus": event.title,
                "institusiPenyelenggara": partner.name,
                "jenisKursusSertipikat": "Lokakarya (workshop)",
                "jumlahJam": 3,
                "tanggalKursus": completion.started_on.isoformat(),
                "tanggalSelesaiKursus": completion.completed_on.isoformat(),
                "tahunKursus": completion.year,
                "nomorSertipikat": Certificate.objects.get().number,
            }
        ]

    def test_certificate_downloads_for_the_owner_only(self, client, city, learner):
        completion = attend(learner, make_event(city))
        certificate = Certificate.objects.get(completion=completion)
        client.force_login(learner.user)
        response = client.get(reverse("certificates:download", args=[certificate.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        client.force_login(LearnerFactory(city=city).user)
        assert (
            client.get(reverse("certificates:download", args=[certificate.pk])).status_code == 404
        )

    def test_recording_twice_writes_once(self, city, learner):
        event = make_event(city)
        completion = attend(learner, event)
        again = event_services.event_completion_record(
            learner=learner,
            event_key=event.key,
            title=event.title,
            organiser="x",
            learning_form=event.learning_form,
            jp=9,
            started_on=completion.started_on,
            completed_on=completion.completed_on,
            criteria={},
        )
        assert again.pk == completion.pk
        assert JpCredit.objects.filter(learner=learner).count() == 1
        assert Certificate.objects.count() == 1
