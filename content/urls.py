"""URLs of the H5P player and content files (mounted at /h5p/)."""

from django.urls import path

from content import views

app_name = "content"
urlpatterns = [
    path("play/<uuid:content_id>/", views.player, name="player"),
    path("files/<str:token>/", views.files_root, name="files-root"),
    path(
        "files/<str:token>/libraries/<str:folder>/<path:path>",
        views.library_file,
        name="library-file",
    ),
    path("files/<str:token>/<path:path>", views.package_file, name="package-file"),
]
