"""Service endpoints: health, capabilities, the OpenAPI document and Swagger UI."""


def includeme(config):
    config.include(".views")
    config.include(".fast")
