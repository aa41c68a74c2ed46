"""Writes over the course tree."""

from django.contrib.auth.models import Permission
from django.db import transaction
from wagtail.models import GroupPagePermission, Page

from courses.models import CityCurriculumPage, CurriculumIndexPage
from lms.people.models import City, CityRole

# City admins run the whole city subtree (publish included); trainers draft and submit.
_PAGE_PERMISSIONS = {
    CityRole.Role.CITY_ADMIN: ["add_page", "change_page", "publish_page", "lock_page"],
    CityRole.Role.TRAINER: ["add_page", "change_page"],
}


@transaction.atomic
def city_curriculum_create(
    *, index: CurriculumIndexPage, city: City, title: str, intro: str = ""
) -> CityCurriculumPage:
    """Publish a city's curriculum page and give the city's staff groups rights over it."""
    page = CityCurriculumPage(title=title, city=city, intro=intro)
    page.full_clean(exclude=["path", "depth", "numchild", "url_path"])
    index.add_child(instance=page)
    page.save_revision().publish()
    permissions = {
        perm.codename: perm
        for perm in Permission.objects.filter(content_type__app_label="wagtailcore")
    }
    for role in CityRole.objects.filter(city=city).select_related("group"):
        for codename in _PAGE_PERMISSIONS.get(role.role, []):
            GroupPagePermission.objects.get_or_create(
                group=role.group, page=page, permission=permissions[codename]
            )
    return page


@transaction.atomic
def curriculum_index_install(*, title: str, intro: str = "") -> CurriculumIndexPage:
    """Make a curriculum index the root of the default site, replacing Wagtail's welcome page."""
    from wagtail.models import Site

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
