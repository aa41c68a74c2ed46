"""Build the demo: five cities with agencies, staff accounts and learners, and the page
tree, through the same services the application uses. Safe to run again: whatever
exists already is left as it is."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from courses.models import CityCurriculumPage
from courses.services import city_curriculum_create, curriculum_index_install
from lms.core.demo_people import AGENCIES, CITIES, DEMO_PASSWORD, PEOPLE, person_data
from lms.events.demo import load_demo_events
from lms.innovation.demo import load_demo_competitions
from lms.people import services
from lms.people.models import Agency, City, CityRole, LearnerProfile, User


class Command(BaseCommand):
    help = "Load the demo cities, people and curricula (for development and demos only)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though DJANGO_DEBUG is off (never on a real deployment).",
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, force=False, no_progress=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Demo data has well-known passwords, so it is only loaded when DJANGO_DEBUG=1. "
                "Use --force if you really mean to load it here."
            )
        steps = ["site", *[city.slug for city in CITIES], "courses", "events", "innovation"]
        with tqdm(total=len(steps), disable=no_progress, desc="Demo", unit="step") as bar:
            index = self._site()
            bar.update()
            pages = {}
            for demo_city in CITIES:
                bar.set_postfix_str(demo_city.name)
                pages[demo_city.slug] = self._city(demo_city, index)
                bar.update()
            self._courses(index, pages)
            bar.update()
            load_demo_events()
            bar.update()
            for demo_city in CITIES:
                load_demo_competitions(City.objects.get(slug=demo_city.slug))
            bar.update()
        self._print_logins()

    @transaction.atomic
    def _site(self):
        index = curriculum_index_install(
            title="Kurikulum ASN Digital",
            intro=(
                "<p>Belajar kompetensi digital kapan saja, dari ponsel Anda. "
                "Setiap ASN wajib mengikuti pengembangan kompetensi paling sedikit "
                "20 JP setahun.</p>"
            ),
        )
        admin = User.objects.filter(username="admin").first()
        if admin is None:
            admin = services.staff_user_create(
                username="admin",
                email="admin@asn-digital.go.id",
                password=DEMO_PASSWORD,
                first_name="Admin",
                last_name="Nasional",
            )
        services.role_assign(user=admin, role=CityRole.Role.NATIONAL_ADMIN)
        return index

    @transaction.atomic
    def _city(self, demo, index) -> CityCurriculumPage:
        city = City.objects.filter(slug=demo.slug).first() or services.city_create(
            name=demo.name, slug=demo.slug, bkpsdm_name=demo.bkpsdm_name, timezone=demo.timezone
        )
        for username, role, first_name in (
            (f"admin-{demo.slug}", CityRole.Role.CITY_ADMIN, "Admin"),
            (f"trainer-{demo.slug}", CityRole.Role.TRAINER, "Pelatih"),
        ):
            user = User.objects.filter(username=username).first()
            if user is None:
                user = services.staff_user_create(
                    username=username,
                    email=f"{username}@{demo.slug}.go.id",
                    password=DEMO_PASSWORD,
                    first_name=first_name,
                    last_name=demo.name,
                )
            services.role_assign(user=user, role=role, city=city)

        agencies = {agency.code: agency for agency in Agency.objects.filter(city=city)}
        for code, name, kind, parent_code in AGENCIES:
            if code not in agencies:
                agencies[code] = services.agency_create(
                    city=city,
                    name=name or demo.district,
                    code=code,
                    kind=kind,
                    parent=agencies[parent_code] if parent_code else None,
                )

        existing = {p.nip: p for p in LearnerProfile.objects.filter(city=city)}
        by_index = {}
        for person in PEOPLE:  # supervisors come before their staff in PEOPLE
            data = person_data(demo, person)
            profile = existing.get(data.nip)
            if profile is None:
                supervisor = (
                    by_index[person.supervisor_index]
                    if person.supervisor_index is not None
                    else None
                )
                profile = services.learner_create(
                    city=city,
                    nip=data.nip,
                    full_name=data.full_name,
                    email=data.email,
                    password=DEMO_PASSWORD,
                    agency=agencies[person.agency_code],
                    supervisor=supervisor,
                    employment_type=person.employment_type,
                    gender=data.gender,
                    birth_date=data.birth_date,
                    golongan=person.golongan,
                    jabatan_type=person.jabatan_type,
                    jabatan_name=person.jabatan_name,
                    phone=f"0812{data.nip[-8:]}",
                )
            by_index[person.index] = profile

        page = CityCurriculumPage.objects.filter(city=city).first()
        if page is None:
            page = city_curriculum_create(
                index=index,
                city=city,
                title=f"Kurikulum ASN {demo.name}",
                intro=(
                    f"<p>Program pengembangan kompetensi digital untuk ASN {demo.name}, "
                    f"dikelola oleh {demo.bkpsdm_name}.</p>"
                ),
            )
        return page

    def _courses(self, index, pages):
        try:
            from courses.demo import load_demo_courses
        except ImportError:  # the course catalogue arrives with the Course authoring issue
            return
        load_demo_courses(index=index, city_pages=pages, stdout=self.stdout)
        for page in pages.values():
            self._h5p_lessons(page)
        from courses.demo_quizzes import load_demo_quizzes

        load_demo_quizzes(stdout=self.stdout)

    @transaction.atomic
    def _h5p_lessons(self, city_page):
        """Two interactive lessons (TrueFalse, MultiChoice) in each city's own course."""
        from content.demo import demo_fixtures_dir, load_demo_h5p
        from courses.models import CoursePage, LessonPage
        from courses.services import lesson_create

        if not demo_fixtures_dir().is_dir():
            self.stdout.write(
                f"H5P demo packages not found at {demo_fixtures_dir()}; skipping H5P lessons."
            )
            return
        course = CoursePage.objects.child_of(city_page).order_by("path").first()
        if course is None:
            return
        packages = load_demo_h5p(city=city_page.city)
        lessons = [
            ("latihan-benar-salah", "Latihan: Benar atau Salah", "true-false.h5p"),
            ("latihan-pilihan-ganda", "Latihan: Pilihan Ganda", "multi-choice.h5p"),
        ]
        existing = set(LessonPage.objects.child_of(course).values_list("slug", flat=True))
        for slug, title, fixture in lessons:
            if slug in existing:
                continue
            lesson_create(
                course=course,
                title=title,
                slug=slug,
                body=[
                    {
                        "type": "paragraph",
                        "value": (
                            "<p>Kerjakan latihan interaktif berikut. Pelajaran ini selesai "
                            "bila nilai Anda paling sedikit 60%.</p>"
                        ),
                    },
                    {
                        "type": "h5p",
                        "value": {"key": str(packages[fixture].content_id), "title": title},
                    },
                ],
                completion_rule="h5p_score",
                completion_threshold=60,
            )

    def _print_logins(self):
        out = self.stdout
        out.write(self.style.SUCCESS("\nDemo data is ready. Every account's password: demo-asn"))
        out.write("  National admin:  admin")
        out.write("  City admins:     " + ", ".join(f"admin-{c.slug}" for c in CITIES))
        out.write("  Trainers:        " + ", ".join(f"trainer-{c.slug}" for c in CITIES))
        out.write("  Learners log in with their NIP, for example:")
        for demo in CITIES:
            head, staff = PEOPLE[0], PEOPLE[3]
            out.write(
                f"    {demo.name:<22} {person_data(demo, head).nip} (supervisor), "
                f"{person_data(demo, staff).nip}"
            )
        out.write(
            "  Open http://127.0.0.1:8000/ (site) and http://127.0.0.1:8000/admin/ (authoring)."
        )
