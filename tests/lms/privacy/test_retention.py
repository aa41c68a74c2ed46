"""Retention of raw statements: the command strips (or deletes) payloads older than the
period, in chunks; newer ones and every counter stay."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from lms.privacy.services import payload_stripped, statements_retention_apply
from lms.records.models import ActivityProgress, Statement

from .conftest import fill_records

pytestmark = pytest.mark.django_db


@pytest.fixture
def aged(client, team, world):
    fill_records(client, world, team.ani)
    rows = list(Statement.objects.order_by("pk"))
    assert len(rows) >= 3
    old = rows[:-1]
    Statement.objects.filter(pk__in=[r.pk for r in old]).update(
        stored_at=timezone.now() - datetime.timedelta(days=400)
    )
    return old, rows[-1]


class RetentionTests:
    def test_old_payloads_are_stripped_in_chunks_new_ones_kept(self, aged, team):
        old, new = aged
        progress_before = list(ActivityProgress.objects.values())
        changed = statements_retention_apply(days=365, chunk=2)
        assert changed == len(old)
        for row in Statement.objects.filter(pk__in=[r.pk for r in old]):
            assert row.payload["actor"]["account"]["name"] == f"anonim-{team.ani.pk}"
            assert "context" not in row.payload and "verb" in row.payload
            assert team.ani.nip not in str(row.payload)
            assert team.ani.full_name not in str(row.payload)
        assert Statement.objects.get(pk=new.pk).payload == new.payload
        assert list(ActivityProgress.objects.values()) == progress_before
        # A second run finds nothing more to do.
        assert statements_retention_apply(days=365, chunk=2) == 0

    def test_delete_mode_removes_old_rows(self, aged):
        old, new = aged
        assert statements_retention_apply(days=365, mode="delete", chunk=2) == len(old)
        assert list(Statement.objects.values_list("pk", flat=True)) == [new.pk]

    def test_the_command_reads_the_setting_and_off_means_off(self, aged, settings, capsys):
        settings.STATEMENT_RETENTION_DAYS = 0
        call_command("statements_retention")
        assert "nothing done" in capsys.readouterr().out
        settings.STATEMENT_RETENTION_DAYS = 365
        call_command("statements_retention", "--chunk", "1")
        assert f"{len(aged[0])} statement(s)" in capsys.readouterr().out

    def test_bad_values_are_refused(self):
        with pytest.raises(ValueError):
            statements_retention_apply(days=0)
        with pytest.raises(ValueError):
            statements_retention_apply(days=3, mode="shred")


class PayloadStrippedTests:
    def test_keeps_verb_object_and_grade_only(self):
        payload = {
            "id": "x",
            "actor": {"name": "Siti", "account": {"name": "198609262015051001"}},
            "verb": {"id": "v"},
            "object": {"id": "o", "definition": {"name": {"id": "Siti"}}},
            "result": {"score": {"scaled": 1}, "response": "nama saya Siti", "success": True},
            "context": {"instructor": {"name": "Budi"}},
        }
        stripped = payload_stripped(payload, account_name="anonim-7")
        assert "Siti" not in str(stripped) and "Budi" not in str(stripped)
        assert "198609262015051001" not in str(stripped)
        assert stripped["actor"]["account"]["name"] == "anonim-7"
        assert stripped["result"] == {"score": {"scaled": 1}, "success": True}
        assert stripped["verb"] == {"id": "v"} and stripped["object"] == {"id": "o"}
        assert payload_stripped(stripped, account_name="anonim-7") == stripped
