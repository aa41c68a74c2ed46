"""Writes over the course tree: installing the index and catalogue, setting up each city's
curriculum with its staff rights and approval workflow, and building courses and lessons
(used by the demo data and the tests; authors use the Wagtail admin)."""

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.models import (
    GroupApprovalTask,
    GroupPagePermission,
    Page,
    Site,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from courses.models import (
    CityCurriculumPage,
    CoursePage,
    CoursePrerequisite,
    CurriculumEntry,
    CurriculumIndexPage,
    LessonPage,
    NationalCataloguePage,
    course_is_adoptable_by,
)
from lms.people.models import City, CityRole

# City admins run the whole city subtree (publish included); trainers draft and submit,
# and the city's workflow sends their submissions to the city admins.
_PAGE_PERMISSIONS = {
    CityRole.Role.CITY_ADMIN: ["add_page", "change_page", "publish_page", "lock_page"],
    CityRole.Role.TRAINER: ["add_page", "change_page"],
}
_NATIONAL_PAGE_PERMISSIONS = ["add_page", "change_page", "publish_page", "lock_page"]


def _page_permissions() -> dict[str, Permission]:
    return {
        perm.codename: perm
        for perm in Permission.objects.filter(content_type__app_label="wagtailcore")
    }


def _grant(*, group: Group, page: Page, codenames: list[str]) -> None:
    permissions = _page_permissions()
    for codename in codenames:
        GroupPagePermission.objects.get_or_create(
            group=group, page=page, permission=permissions[codename]
        )


def _approval_workflow_install(*, page: Page, name: str, approvers: Group) -> Workflow:
    """One workflow with one group-approval step, assigned to a subtree (idempotent)."""
    existing = WorkflowPage.objects.filter(page=page).select_related("workflow").first()
    if existing is not None:
        return existing.workflow
    task = GroupApprovalTask.objects.create(name=name)
    task.groups.set([approvers])
    workflow = Workflow.objects.create(name=name, active=True)
    WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.create(workflow=workflow, page=page)
    return workflow


@transaction.atomic
def city_curriculum_create(
    *, index: CurriculumIndexPage, city: City, title: str, intro: str = ""
) -> CityCurriculumPage:
    """Publish a city's curriculum page, give the city's staff groups rights over it and
    send everything below it through the city admins' approval."""
    page = CityCurriculumPage(title=title, city=city, intro=intro, slug=city.slug)
    _insert(parent=index, page=page)
    _publish(page, publish=True)
    city_curriculum_rights_install(page=page)
    return page


@transaction.atomic
def city_curriculum_rights_install(*, page: CityCurriculumPage) -> Workflow:
    """Page permissions and the approval workflow of a city's subtree (idempotent)."""
    roles = {
        role.role: role.group
        for role in CityRole.objects.filter(city_id=page.city_id).select_related("group")
    }
    for role, codenames in _PAGE_PERMISSIONS.items():
        if role in roles:
            _grant(group=roles[role], page=page, codenames=codenames)
    if CityRole.Role.CITY_ADMIN not in roles:
        raise ValidationError(_("The city has no city-admin group to approve its courses."))
    return _approval_workflow_install(
        page=page,
        # Workflow names are data shown to Indonesian staff, like the group names.
        name=f"Persetujuan {page.city.name}"[:255],
        approvers=roles[CityRole.Role.CITY_ADMIN],
    )


@transaction.atomic
def national_catalogue_install(
    *, index: CurriculumIndexPage, title: str, intro: str = ""
) -> NationalCataloguePage:
    """The national course catalogue below the index, run by the national admins."""
    from lms.people.services import national_admin_group

    catalogue = NationalCataloguePage.objects.first()
    if catalogue is None:
        catalogue = NationalCataloguePage(title=title, intro=intro, slug="katalog-nasional")
        _insert(parent=index, page=catalogue)
        _publish(catalogue, publish=True)
    group = national_admin_group()
    _grant(group=group, page=catalogue, codenames=_NATIONAL_PAGE_PERMISSIONS)
    _approval_workflow_install(page=catalogue, name="Persetujuan Admin Nasional", approvers=group)
    return catalogue


@transaction.atomic
def curriculum_index_install(*, title: str, intro: str = "") -> CurriculumIndexPage:
    """Make a curriculum index the root of the default site, replacing Wagtail's welcome page."""
    existing = CurriculumIndexPage.objects.first()
    if existing is not None:
        return existing
    root = Page.get_first_root_node()
    index = CurriculumIndexPage(title=title, intro=intro, slug="beranda")
    root.add_child(instance=index)
    index.save_revision().publish()
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(hostname="localhost", root_page=index, is_default_site=True)
    else:
        old_root = site.root_page
        site.root_page = index
        site.save()
        if old_root.specific_class is Page and old_root.depth == 2 and not old_root.numchild:
            # Wagtail's placeholder "Welcome" page; nothing links to it.
            old_root.delete()
    return index


def _insert(*, parent: Page, page: Page) -> None:
    """Add a new page below ``parent`` as a draft, validated; the caller's transaction
    undoes the insert when the full validation (which needs the tree) fails."""
    page.live = False
    core_fields = [f.name for f in Page._meta.fields if f.name not in ("title", "slug")]
    errors: dict = {}
    for check in (
        lambda: page.clean_fields(exclude=core_fields),
        getattr(page, "clean_content", lambda: None),
    ):
        try:
            check()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
    if not errors:
        try:
            page.validate_constraints(exclude=core_fields)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    parent.add_child(instance=page)
    page.full_clean()


def _publish(page: Page, *, publish: bool, user=None) -> None:
    revision = page.save_revision(user=user, log_action=True)
    if publish:
        revision.publish(user=user)
        # publish() works on a copy made from the revision; callers get the live state.
        page.refresh_from_db()


@transaction.atomic
def course_create(
    *,
    parent: NationalCataloguePage | CityCurriculumPage,
    title: str,
    slug: str,
    summary: str,
    jp_value: int,
    competency_area: str,
    estimated_duration: int,
    learning_form: str = "e_learning",
    level: str = "basic",
    provider=None,
    prerequisites: list[CoursePage] | tuple = (),
    publish: bool = True,
    user=None,
) -> CoursePage:
    """Add a course below the national catalogue or a city curriculum."""
    parent = parent.specific
    if not isinstance(parent, NationalCataloguePage | CityCurriculumPage):
        raise ValidationError(_("A course belongs in the national catalogue or a curriculum."))
    course = CoursePage(
        title=title,
        slug=slug,
        summary=summary,
        jp_value=jp_value,
        competency_area=competency_area,
        estimated_duration=estimated_duration,
        learning_form=learning_form,
        level=level,
        provider=provider,
        owner=user,
    )
    course.prerequisites = [CoursePrerequisite(prerequisite=p) for p in prerequisites]
    _insert(parent=parent, page=course)
    _publish(course, publish=publish, user=user)
    return course


@transaction.atomic
def lesson_create(
    *,
    course: CoursePage,
    title: str,
    slug: str,
    body: list | str,
    completion_rule: str = "viewed",
    completion_threshold: int | None = None,
    is_required: bool = True,
    publish: bool = True,
    user=None,
) -> LessonPage:
    """Add a lesson to a course; ``body`` is StreamField data (a list of blocks or JSON)."""
    lesson = LessonPage(
        title=title,
        slug=slug,
        body=body,
        completion_rule=completion_rule,
        completion_threshold=completion_threshold,
        is_required=is_required,
        owner=user,
    )
    # The admin form validates blocks; code that builds lessons gets the same checks.
    try:
        lesson.body = lesson.body.stream_block.clean(lesson.body)
    except ValidationError as exc:
        raise ValidationError({"body": exc.messages}) from None
    _insert(parent=course, page=lesson)
    _publish(lesson, publish=publish, user=user)
    return lesson


@dataclass(frozen=True)
class EntrySpec:
    course: CoursePage
    is_mandatory: bool = False
    due_date: datetime.date | None = None


@transaction.atomic
def curriculum_entries_set(
    *, curriculum: CityCurriculumPage, entries: list[EntrySpec], user=None
) -> None:
    """List courses in a city's curriculum (or update their flag and due date), in one
    new published revision of the curriculum. New courses go to the end of the list."""
    curriculum = CityCurriculumPage.objects.select_for_update().get(pk=curriculum.pk)
    catalogue = NationalCataloguePage.objects.first()
    for spec in entries:
        if not course_is_adoptable_by(
            course=spec.course, curriculum=curriculum, catalogue=catalogue
        ):
            raise ValidationError(
                {"course": _("Only national courses and this city's own courses can be added.")}
            )
    # Edit the latest revision, not the live row, so a pending draft is not lost.
    page = curriculum.get_latest_revision_as_object()
    current = list(page.course_entries.all())
    for spec in entries:
        entry = next((e for e in current if e.course_id == spec.course.pk), None)
        if entry is None:
            entry = CurriculumEntry(course=spec.course, sort_order=len(current))
            current.append(entry)
        entry.is_mandatory = spec.is_mandatory
        entry.due_date = spec.due_date
        entry.full_clean(exclude=["page"])
    page.course_entries = current
    page.save_revision(user=user, log_action=True).publish(user=user)


def curriculum_entry_set(
    *,
    curriculum: CityCurriculumPage,
    course: CoursePage,
    is_mandatory: bool = False,
    due_date: datetime.date | None = None,
    user=None,
) -> CurriculumEntry:
    """List one course in a city's curriculum (see curriculum_entries_set)."""
    curriculum_entries_set(
        curriculum=curriculum,
        entries=[EntrySpec(course=course, is_mandatory=is_mandatory, due_date=due_date)],
        user=user,
    )
    return CurriculumEntry.objects.get(page=curriculum, course=course)
