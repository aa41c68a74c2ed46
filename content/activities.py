"""The content app's side of courses.activities: what an H5P content id stands for."""

from collections.abc import Iterable

from django.urls import reverse

from content.selectors import packages_by_content_ids
from courses.activities import ActivityInfo


class H5PPackageCatalogue:
    """Resolves H5P content ids (UUIDs) to ready packages, in one query.

    The launch URL is the player page; who may open it is checked there, per learner.
    """

    def resolve(self, keys: Iterable[str]) -> dict[str, ActivityInfo]:
        return {
            key: ActivityInfo(
                key=key,
                title=package.title,
                launch_url=reverse("content:player", kwargs={"content_id": package.content_id}),
            )
            for key, package in packages_by_content_ids(keys).items()
        }
