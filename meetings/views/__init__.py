"""Pages of the joint meeting, one module per area (each with its ``urlpatterns``)."""
