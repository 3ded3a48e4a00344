"""The only package that talks to Docker: `docker compose` by argv lists, docker-py for queries."""
