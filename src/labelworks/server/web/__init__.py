"""Server-rendered pages (Jinja2 + htmx) and the media route."""
