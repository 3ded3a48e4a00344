"""
WSGI config for hellodjango project, as Django 1.4's startproject wrote it.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hellodjango.settings")

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
