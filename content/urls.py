"""URLs of the H5P player and content files (mounted at /h5p/)."""

app_name = "content"
urlpatterns = []
