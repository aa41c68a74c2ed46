"""Learning material itself: H5P packages and the H5P libraries they share.

An ``H5PPackage`` is one uploaded .h5p activity; lessons refer to it by its ``content_id``
(a UUID that never changes, even when the package is replaced by a new upload). Its files
live in storage (Django STORAGES: filesystem or S3) under ``storage_path``.

An ``H5PLibrary`` is one ``machineName-major.minor`` of H5P library code, stored once and
shared by every package that depends on it, as H5P core does; a newer patch version
replaces an older one in place (a new storage folder, the old one removed after commit).

Learner data (scores, statements, resume state) is not here: lms.records writes it.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.models import CollectionMember
from wagtail.search import index


class H5PLibrary(models.Model):
    """One ``machineName-major.minor`` of H5P library code, shared by packages."""

    machine_name = models.CharField(_("machine name"), max_length=127)
    major_version = models.PositiveIntegerField(_("major version"))
    minor_version = models.PositiveIntegerField(_("minor version"))
    patch_version = models.PositiveIntegerField(_("patch version"))
    title = models.CharField(_("title"), max_length=255)
    runnable = models.BooleanField(_("runnable"), default=False)
    core_api_major = models.PositiveIntegerField(_("core API major version"), default=1)
    core_api_minor = models.PositiveIntegerField(_("core API minor version"), default=0)
    # Folder names ("H5P.Question-1.5") of the libraries this one preloads.
    dependencies = models.JSONField(_("preloaded dependencies"), default=list, blank=True)
    storage_path = models.CharField(
        _("storage folder"),
        max_length=255,
        help_text=_("Folder in the default storage holding this library's files."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["machine_name", "major_version", "minor_version"]
        verbose_name = _("H5P library")
        verbose_name_plural = _("H5P libraries")
        constraints = [
            models.UniqueConstraint(
                fields=["machine_name", "major_version", "minor_version"],
                name="content_h5plibrary_one_per_minor_version",
            ),
        ]

    def __str__(self):
        return f"{self.folder_name} (patch {self.patch_version})"

    @property
    def folder_name(self) -> str:
        return f"{self.machine_name}-{self.major_version}.{self.minor_version}"


class H5PPackage(CollectionMember, index.Indexed, models.Model):
    """One uploaded H5P activity (an .h5p file), validated and extracted to storage.

    ``collection`` is the city's Wagtail collection, so trainers and city admins get the
    same per-city permissions as for images and documents.
    """

    class Status(models.TextChoices):
        READY = "ready", _("Ready")
        DISABLED = "disabled", _("Disabled")

    content_id = models.UUIDField(
        _("content ID"),
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text=_("Lessons refer to the package by this ID; it survives replacing the file."),
    )
    title = models.CharField(_("title"), max_length=255)
    main_library = models.CharField(
        _("main library"), max_length=140, help_text=_("For example H5P.MultiChoice-1.14.")
    )
    language = models.CharField(_("language"), max_length=20, blank=True)
    city = models.ForeignKey(
        "people.City",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="h5p_packages",
        verbose_name=_("city"),
        help_text=_("Empty for national material, which every city may use."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.READY
    )
    original_filename = models.CharField(_("original file name"), max_length=255, blank=True)
    size_bytes = models.PositiveBigIntegerField(
        _("size (bytes)"), default=0, help_text=_("Total unpacked size of the package's files.")
    )
    file_count = models.PositiveIntegerField(_("number of files"), default=0)
    storage_path = models.CharField(
        _("storage folder"),
        max_length=255,
        help_text=_("Folder in the default storage holding h5p.json and content/."),
    )
    libraries = models.ManyToManyField(
        H5PLibrary,
        related_name="packages",
        verbose_name=_("libraries"),
        help_text=_("Every library the package needs, its dependencies included."),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    search_fields = [
        index.SearchField("title"),
        index.AutocompleteField("title"),
        index.FilterField("collection"),
        index.FilterField("city"),
    ]

    class Meta:
        ordering = ["title"]
        verbose_name = _("H5P package")
        verbose_name_plural = _("H5P packages")
        permissions = [("choose_h5ppackage", "Can choose H5P package")]
        indexes = [models.Index(fields=["city", "status"])]

    def __str__(self):
        return self.title

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY
