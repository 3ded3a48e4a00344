import os

from django.db import connection
from django.shortcuts import render_to_response

from hello.models import Visit


def home(request):
    served_by = (
        os.environ.get("DOTCLOUD_SERVICE_NAME", "web")
        + "."
        + str(int(os.environ.get("DOTCLOUD_SERVICE_ID", "0")) + 1)
    )
    Visit.objects.create(served_by=served_by)
    cursor = connection.cursor()
    cursor.execute("SELECT version()")
    server = cursor.fetchone()[0].split(" on ")[0]
    return render_to_response(
        "home.html",
        {
            "greeting": os.environ.get("GREETING", "Hello"),
            "visits": Visit.objects.count(),
            "server": server,
            "served_by": served_by,
        },
    )
