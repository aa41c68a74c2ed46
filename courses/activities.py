"""The small interface between lesson blocks and the apps that own interactive activities.

H5P packages belong to the content app and quizzes to the quiz engine; neither exists yet.
A lesson therefore stores only an activity's *stable key* (a UUID: the H5P package's
content id, the quiz's key) and asks a registered catalogue what that key stands for.

The owning app fulfils the contract from its ``AppConfig.ready()``::

    from courses.activities import ActivityKind, register_catalogue
    register_catalogue(ActivityKind.H5P, H5PPackageCatalogue())

where the catalogue has ``resolve(keys) -> dict[str, ActivityInfo]`` answering, in one
query, for every key it knows. Keys it does not know are simply left out. Until an app
registers, nothing resolves: authors may still place a well-formed key, learners see a
"not available yet" notice, and no learner data is invented. When the owning app ships
its admin chooser it can replace the text field of the block with a chooser that stores
the same key, so lessons written today stay valid.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class ActivityKind(models.TextChoices):
    H5P = "h5p", _("H5P activity")
    QUIZ = "quiz", _("Quiz")


@dataclass(frozen=True)
class ActivityInfo:
    """What the owning app tells a lesson about one activity."""

    key: str
    title: str
    # Where the learner's browser loads the activity (H5P player JSON, quiz start page).
    launch_url: str


class ActivityCatalogue(Protocol):
    def resolve(self, keys: Iterable[str]) -> dict[str, ActivityInfo]: ...


_catalogues: dict[str, ActivityCatalogue] = {}


def register_catalogue(kind: str, catalogue: ActivityCatalogue) -> None:
    _catalogues[kind] = catalogue


def unregister_catalogue(kind: str) -> None:
    _catalogues.pop(kind, None)


def has_catalogue(kind: str) -> bool:
    return kind in _catalogues


def resolve_activities(kind: str, keys: Iterable[str]) -> dict[str, ActivityInfo]:
    keys = [key for key in keys if key]
    catalogue = _catalogues.get(kind)
    if catalogue is None or not keys:
        return {}
    return catalogue.resolve(keys)


def normalise_activity_key(value: str) -> str:
    """The canonical text form of a key; raises ValidationError for anything but a UUID."""
    try:
        return str(uuid.UUID(str(value).strip()))
    except (ValueError, AttributeError, TypeError):
        raise ValidationError(
            _("Enter the activity's ID (a UUID such as 7f1c2e0a-3b4d-4c5e-8f90-1a2b3c4d5e6f)."),
            code="invalid_activity_key",
        ) from None


def validate_activity_key(value: str) -> None:
    normalise_activity_key(value)
