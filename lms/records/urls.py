"""URLs of the learning-record store (mounted at /xapi/)."""

urlpatterns = []
