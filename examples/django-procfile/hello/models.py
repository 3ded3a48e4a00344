from django.db import models


class Visit(models.Model):
    """One request of the home page, kept in PostgreSQL."""

    when = models.DateTimeField(auto_now_add=True)
    served_by = models.CharField(max_length=32)
