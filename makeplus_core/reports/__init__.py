"""Reports for gestionnaires and admins: GET /api/reports/events/, /api/reports/sessions/."""


def includeme(config):
    config.scan(".views")
