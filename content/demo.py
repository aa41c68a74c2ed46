"""Demo H5P packages for a city, imported through the same service as uploads."""

from pathlib import Path

from django.conf import settings

from content import services
from content.models import H5PPackage

DEMO_FIXTURES = ("true-false.h5p", "multi-choice.h5p")


def demo_fixtures_dir() -> Path:
    """The shared fixtures beside the repository (CI clones the repo next to shared/)."""
    return Path(settings.BASE_DIR).joinpath("..", "shared", "fixtures", "h5p").resolve()


def load_demo_h5p(*, city, stdout=None) -> dict[str, H5PPackage]:
    """Import the demo packages for a city once; re-running finds them again by file name.

    Returns ``{"true-false.h5p": package, "multi-choice.h5p": package}``.
    """
    packages = {}
    for name in DEMO_FIXTURES:
        existing = (
            H5PPackage.objects.filter(city=city, original_filename=name).order_by("pk").first()
        )
        if existing is not None:
            packages[name] = existing
            continue
        with (demo_fixtures_dir() / name).open("rb") as handle:
            packages[name] = services.package_import(file=handle, filename=name, city=city)
        if stdout is not None:
            stdout.write(f"H5P {city.slug}: {name} -> {packages[name].content_id}\n")
    return packages
