"""The scale-data generator (manage.py generate_scale_data): exact row counts, records
that keep the services' rules, rollups equal to a fresh rebuild, determinism, and bad
options refused with nothing written."""

import datetime
from collections import Counter, defaultdict
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from courses.models import CoursePage, LearningForm
from lms.people.models import Agency, City, LearnerProfile, User
from lms.people.nip import parse_nip
from lms.people.permissions import roles_of
from lms.records.models import (
    E_LEARNING_DAILY_CAP_JP,
    ActivityKind,
    ActivityProgress,
    Certificate,
    CourseCompletion,
    Enrolment,
    JpCredit,
    LearnerActivity,
    LearnerYear,
    Rollup,
    RollupWeek,
)
from lms.records.rollups import rollups_rebuild
from lms.records.scale import NATIONAL_ADMIN_USERNAME, PREFIX

SMALL = {
    "cities": 2,
    "agencies_per_city": 4,
    "learners": 20,
    "courses": 3,
    "progress_rows": 200,
    "seed": 7,
}
PASSWORD = "rahasia-skala-1"


def generate(**options) -> str:
    out = StringIO()
    call_command(
        "generate_scale_data",
        no_progress=True,
        force=True,
        password=PASSWORD,
        stdout=out,
        stderr=StringIO(),
        **{**SMALL, **options},
    )
    return out.getvalue()


def generated_learners():
    return LearnerProfile.objects.filter(city__slug__startswith=f"{PREFIX}-")


def snapshot_read_models() -> dict:
    return {
        "rollup": Counter(
            Rollup.objects.values_list(
                "city_id",
                "agency_id",
                "course_key",
                "year",
                "shard",
                "started",
                "completed",
                "jp",
                "scored",
                "passed",
                "met_minimum",
            )
        ),
        "score_sum": sorted(
            round(v, 6) for v in Rollup.objects.values_list("score_sum", flat=True)
        ),
        "weeks": Counter(
            RollupWeek.objects.values_list(
                "city_id", "agency_id", "week", "shard", "started", "completed", "jp"
            )
        ),
        "years": Counter(LearnerYear.objects.values_list("learner_id", "year", "jp")),
        "activity": Counter(LearnerActivity.objects.values_list("learner_id", "last_active_on")),
    }


def counts() -> tuple:
    return (
        City.objects.count(),
        Agency.objects.count(),
        User.objects.count(),
        LearnerProfile.objects.count(),
        CoursePage.objects.count(),
        ActivityProgress.objects.count(),
        CourseCompletion.objects.count(),
        JpCredit.objects.count(),
        Enrolment.objects.count(),
        Rollup.objects.count(),
    )


def check_people_are_valid():
    learners = list(generated_learners().select_related("agency", "supervisor"))
    assert len({p.nip for p in learners}) == len(learners)
    for profile in learners:
        parts = parse_nip(profile.nip, employment_type=profile.employment_type)
        assert parts.birth_date == profile.birth_date
        assert parts.gender == profile.gender
        assert profile.user.username == profile.nip
        if profile.agency is not None:
            assert profile.agency.city_id == profile.city_id
        if profile.supervisor is not None:
            assert profile.supervisor.city_id == profile.city_id
            assert profile.supervisor_id != profile.pk
    # Agencies form trees: some units sit below an OPD of the same city.
    assert Agency.objects.filter(city__slug__startswith=PREFIX, depth=2).exists()
    assert any(p.supervisor_id for p in learners)


def check_admins_log_in_with_their_roles():
    city = City.objects.get(slug=f"{PREFIX}-001")
    admin = authenticate(username=f"admin-{city.slug}", password=PASSWORD)
    assert admin is not None
    assert roles_of(admin).admin_city_ids == {city.pk}
    assert not roles_of(admin).national
    national = authenticate(username=NATIONAL_ADMIN_USERNAME, password=PASSWORD)
    assert national is not None and roles_of(national).national


def check_records_keep_the_services_rules():
    rows = list(ActivityProgress.objects.all())
    by_learner_course = defaultdict(list)
    for row in rows:
        by_learner_course[(row.learner_id, row.course_key)].append(row)
        assert row.started_at <= row.last_activity_at
        if row.completed_at is not None:
            assert row.progress == 100
            assert row.started_at <= row.completed_at
        for score in (row.best_score, row.last_score):
            assert score is None or 0 <= score <= 100
        if row.kind in (ActivityKind.H5P, ActivityKind.QUIZ):
            assert row.lesson_key is not None
    assert {row.kind for row in rows} == {
        ActivityKind.COURSE,
        ActivityKind.LESSON,
        ActivityKind.H5P,
        ActivityKind.QUIZ,
    }
    completions = {
        (c.learner_id, c.course_key): c for c in CourseCompletion.objects.select_related("city")
    }
    assert completions, "a run of 200 rows completes some courses"
    for (learner_id, course_key), group in by_learner_course.items():
        course_rows = [r for r in group if r.kind == ActivityKind.COURSE]
        # Every lesson/activity row sits below the learner's course row.
        assert len(course_rows) == 1
        course_row = course_rows[0]
        completion = completions.get((learner_id, course_key))
        assert (course_row.completed_at is not None) == (completion is not None)
        lessons = [r for r in group if r.kind == ActivityKind.LESSON]
        if completion is not None:
            assert all(lesson.completed_at is not None for lesson in lessons)
            assert completion.completed_at == course_row.completed_at
            assert completion.year == completion.completed_on.year
        assert Enrolment.objects.filter(learner_id=learner_id, course_key=course_key).exists()
    # Certificates carry the completion's number in the city's format.
    for certificate in Certificate.objects.select_related("completion"):
        assert certificate.number == certificate.completion.certificate_number
        assert f"/SERT/{certificate.city.slug.upper()}/" in certificate.number
    # JP: each completion credits its course's JP, e-learning at most 3 JP a day.
    credited = Counter()
    per_day = Counter()
    for credit in JpCredit.objects.all():
        if credit.completion_id:
            credited[credit.completion_id] += credit.jp
        if credit.learning_form == LearningForm.E_LEARNING:
            per_day[(credit.learner_id, credit.credited_on)] += credit.jp
    assert credited == {c.pk: c.jp for c in completions.values()}
    assert max(per_day.values(), default=0) <= E_LEARNING_DAILY_CAP_JP


def check_mandatory_enrolments_some_overdue():
    mandatory = Enrolment.objects.filter(is_mandatory=True)
    learners = generated_learners().count()
    keys = set(mandatory.values_list("course_key", flat=True))
    assert keys and mandatory.count() == learners * len(keys)
    assert not mandatory.filter(due_date__isnull=True).exists()
    completed = set(CourseCompletion.objects.values_list("learner_id", "course_key"))
    overdue = [
        e
        for e in mandatory.filter(due_date__lt=timezone.localdate())
        if (e.learner_id, e.course_key) not in completed
    ]
    if datetime.date(timezone.localdate().year, 3, 31) < timezone.localdate():
        assert overdue


def check_rollups_equal_a_fresh_rebuild():
    before = snapshot_read_models()
    assert sum(r[6] for r in before["rollup"].elements()) == CourseCompletion.objects.count()
    assert sum(r[2] for r in before["years"].elements()) == sum(
        JpCredit.objects.values_list("jp", flat=True)
    )
    rollups_rebuild()
    assert snapshot_read_models() == before


@pytest.mark.django_db
class GenerateScaleDataTests:
    def test_a_small_run_writes_exactly_what_was_asked(self):
        output = generate()

        assert City.objects.filter(slug__startswith=f"{PREFIX}-").count() == 2
        assert Agency.objects.filter(city__slug__startswith=f"{PREFIX}-").count() == 8
        assert CoursePage.objects.filter(slug__startswith=f"{PREFIX}-kursus-").count() == 3
        assert generated_learners().count() == 20
        assert ActivityProgress.objects.count() == 200
        assert "progress rows 200" in output
        assert f"{NATIONAL_ADMIN_USERNAME} (national_admin)" in output
        assert PASSWORD in output
        # One generation, checked from every side (each one takes a while).
        check_people_are_valid()
        check_admins_log_in_with_their_roles()
        check_records_keep_the_services_rules()
        check_mandatory_enrolments_some_overdue()
        check_rollups_equal_a_fresh_rebuild()

    def test_the_same_seed_gives_the_same_data(self):
        def picture():
            learners = dict(generated_learners().values_list("pk", "nip"))
            return (
                sorted(generated_learners().values_list("nip", "full_name", "agency__name")),
                Counter(
                    (learners[learner_id], kind, progress, best, completed_at)
                    for learner_id, kind, progress, best, completed_at in (
                        ActivityProgress.objects.values_list(
                            "learner_id", "kind", "progress", "best_score", "completed_at"
                        )
                    )
                ),
                sorted(CourseCompletion.objects.values_list("certificate_number", "course_title")),
            )

        class Undo(Exception):
            pass

        # Generated three times into the same (empty) database, the first two undone.
        with pytest.raises(Undo), transaction.atomic():
            generate()
            first = picture()
            raise Undo
        with pytest.raises(Undo), transaction.atomic():
            generate(seed=8)
            other = picture()
            raise Undo
        generate()
        assert picture() == first
        assert other != first

        # With generated data in place, another run is refused and changes nothing.
        before = counts()
        with pytest.raises(CommandError) as refused:
            generate(seed=99)
        assert "already has generated data" in str(refused.value)
        assert counts() == before

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            ({"learners": -1}, "--learners must be a whole number from 0"),
            ({"cities": 0}, "--cities must be a whole number from 1"),
            ({"progress_rows": -5}, "--progress-rows must be a whole number from 0"),
            ({"progress_rows": 20 * 3 * 6 + 1}, "is more than 20 learners x"),
            ({"year": 1999}, "--year 1999 is not a year"),
            ({"year": datetime.date.today().year + 1}, "records cannot be in the future"),
        ],
    )
    def test_bad_options_are_refused_with_nothing_written(self, options, message):
        before = counts()
        with pytest.raises(CommandError) as refused:
            generate(**options)
        assert message in str(refused.value)
        assert counts() == before
