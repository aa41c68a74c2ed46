"""Reads over the course tree."""

from django.db.models import QuerySet

from courses.models import CityCurriculumPage


def city_curricula() -> QuerySet[CityCurriculumPage]:
    return CityCurriculumPage.objects.live().select_related("city").order_by("title")


def curriculum_page_for_user(user) -> CityCurriculumPage | None:
    """The live curriculum page of the city the user learns in, if any."""
    profile = getattr(user, "profile", None)
    if profile is None:
        return None
    return CityCurriculumPage.objects.live().filter(city_id=profile.city_id).first()
