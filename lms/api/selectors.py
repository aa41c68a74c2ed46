"""Reads behind the API endpoints. Each is a fixed number of queries per page of results,
whatever the number of rows; permissions come from the Caller (lms.api.auth), which asks
lms.people.permissions."""

import datetime
import uuid
from functools import reduce
from operator import or_

from django.conf import settings
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Length, Substr

from courses.models import CityCurriculumPage, CoursePage, CurriculumEntry, LearningForm
from lms.people.models import City, LearnerProfile
from lms.records import selectors as records


def cities_for(caller) -> QuerySet[City]:
    city_ids = caller.city_ids()
    cities = City.objects.order_by("name", "pk")
    return cities if city_ids is None else cities.filter(pk__in=city_ids)


def courses_for(caller) -> QuerySet[CoursePage]:
    """Live courses of the caller's cities: each city's own courses and the national ones
    its curriculum adopted (a learner: their city's curriculum; a token: its city's);
    every live course for national admins and national tokens. Two queries per page."""
    city_ids = caller.city_ids()
    courses = CoursePage.objects.live()
    if city_ids is not None:
        curricula = list(
            CityCurriculumPage.objects.live()
            .filter(city_id__in=city_ids)
            .values_list("path", "depth")
        )
        condition = Q(
            pk__in=CurriculumEntry.objects.filter(
                page__city_id__in=city_ids, page__live=True
            ).values("course_id")
        )
        condition = reduce(
            or_,
            (Q(path__startswith=path, depth=depth + 1) for path, depth in curricula),
            condition,
        )
        courses = courses.filter(condition)
    steplen = CoursePage.steplen
    owner = CityCurriculumPage.objects.filter(
        path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - steplen)
    )
    return (
        courses.select_related("provider")
        .annotate(
            owner_city=Subquery(owner.values("city__slug")[:1]),
            owner_bkpsdm=Subquery(owner.values("city__bkpsdm_name")[:1]),
        )
        .only(
            "pk",
            "title",
            "url_path",
            "path",
            "depth",
            "translation_key",
            "jp_value",
            "learning_form",
            "provider__name",
        )
        .order_by("path", "pk")
    )


def course_item(course: CoursePage, request) -> dict:
    return {
        "key": course.translation_key,
        "title": course.title,
        "url": course.get_url(request),
        "jp": course.jp_value,
        "learning_form": course.learning_form,
        "learning_form_label": str(LearningForm(course.learning_form).label)
        if course.learning_form in LearningForm.values
        else course.learning_form,
        "organiser": course.provider.name
        if course.provider
        else (course.owner_bkpsdm or str(settings.WAGTAIL_SITE_NAME)),
        "city": course.owner_city,
    }


def curricula_for(caller) -> QuerySet[CityCurriculumPage]:
    """Live city curricula of the caller's cities with their listed courses (entries of
    live courses, in the city's order); three queries per page."""
    city_ids = caller.city_ids()
    curricula = CityCurriculumPage.objects.live().select_related("city")
    if city_ids is not None:
        curricula = curricula.filter(city_id__in=city_ids)
    entries = (
        CurriculumEntry.objects.filter(course__live=True)
        .select_related("course")
        .only(
            "page_id",
            "sort_order",
            "is_mandatory",
            "due_date",
            "course__title",
            "course__translation_key",
        )
        .order_by("sort_order", "pk")
    )
    return curricula.prefetch_related(Prefetch("course_entries", queryset=entries)).order_by(
        "city__name", "pk"
    )


def curriculum_item(curriculum: CityCurriculumPage, request) -> dict:
    return {
        "city": curriculum.city.slug,
        "city_name": curriculum.city.name,
        "title": curriculum.title,
        "url": curriculum.get_url(request),
        "courses": [
            {
                "course_key": entry.course.translation_key,
                "title": entry.course.title,
                "is_mandatory": entry.is_mandatory,
                "due_date": entry.due_date,
            }
            for entry in curriculum.course_entries.all()
        ],
    }


def my_courses(*, learner: LearnerProfile, today: datetime.date) -> list[dict]:
    """The learner's courses (enrolled or started) with progress and completion; five
    queries (lms.records.selectors.learner_records plus the course titles)."""
    recorded = records.learner_records(learner=learner, year=today.year)
    enrolments = {e.course_key: e for e in recorded.enrolments}
    completions = {c.course_key: c for c in recorded.completions}
    keys: list[uuid.UUID] = list(enrolments)
    keys += [key for key in recorded.course_rows if key not in enrolments]
    keys += [
        key for key in completions if key not in enrolments and key not in recorded.course_rows
    ]
    titles = dict(
        CoursePage.objects.filter(translation_key__in=keys)
        .order_by("-live")
        .values_list("translation_key", "title")
    )
    items = []
    for key in keys:
        enrolment = enrolments.get(key)
        row = recorded.course_rows.get(key)
        completion = completions.get(key)
        done = completion is not None or (row is not None and row.completed_at is not None)
        due_date = enrolment.due_date if enrolment else None
        active = enrolment is not None and enrolment.status == enrolment.Status.ACTIVE
        items.append(
            {
                "course_key": key,
                "title": titles.get(key) or (completion.course_title if completion else ""),
                "enrolment_status": enrolment.status if enrolment else None,
                "is_mandatory": bool(enrolment and enrolment.is_mandatory),
                "due_date": due_date,
                "overdue": bool(
                    active
                    and enrolment.is_mandatory
                    and due_date is not None
                    and due_date < today
                    and not done
                ),
                "percent": 100 if done else (row.progress if row else 0),
                "started_at": row.started_at if row else None,
                "last_activity_at": row.last_activity_at if row else None,
                "completed_at": completion.completed_at
                if completion
                else (row.completed_at if row else None),
                "jp": completion.jp if completion else None,
                "certificate_number": (completion.certificate_number or None)
                if completion
                else None,
            }
        )
    return items


def team_items(*, viewer, supervisor: LearnerProfile, year: int, today, indirect: bool) -> list:
    rows = records.team_rows(
        viewer=viewer, supervisor=supervisor, year=year, today=today, indirect=indirect
    )
    return [
        {
            "nip": row.profile.nip,
            "full_name": row.profile.full_name,
            "agency": row.profile.agency.name if row.profile.agency_id else None,
            "is_direct": row.is_direct,
            "mandatory_total": row.mandatory_total,
            "mandatory_completed": row.mandatory_completed,
            "mandatory_percent": row.mandatory_percent,
            "overdue": row.overdue,
            "jp_this_year": row.jp_this_year,
            "jp_missing": row.jp_missing,
            "last_activity_at": row.last_activity_at,
        }
        for row in rows
    ]


def profiles_by_nip(*, city: City, nips: list[str]) -> tuple[list[LearnerProfile], list[str]]:
    """The city's active profiles with these NIPs, and the NIPs not found there."""
    wanted = list(dict.fromkeys(nip.strip() for nip in nips))
    profiles = list(
        LearnerProfile.objects.filter(city=city, is_active=True, nip__in=wanted).order_by("pk")
    )
    found = {p.nip for p in profiles}
    return profiles, [nip for nip in wanted if nip not in found]
