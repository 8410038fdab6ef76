import datetime as dt

import colander

from makeplus_core.plugin_api import schema

UTC = dt.UTC
ABSTRACT_PARTS = ("introduction", "methods", "results", "conclusion")
DEFAULT_ABSTRACT_MAX = 2000


class Themes(colander.SequenceSchema):
    theme = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=200))


class CallSchema(colander.MappingSchema):
    title = colander.SchemaNode(colander.String(), validator=colander.Length(max=200), missing="")
    description = colander.SchemaNode(colander.String(), validator=colander.Length(max=10000), missing="")
    opens_at = colander.SchemaNode(colander.DateTime(default_tzinfo=UTC))
    closes_at = colander.SchemaNode(colander.DateTime(default_tzinfo=UTC))
    required_validations = colander.SchemaNode(schema.Int(minimum=1, maximum=50), missing=1)
    themes = Themes(missing=[])
    is_published = colander.SchemaNode(colander.Boolean(), missing=False)


class Author(colander.MappingSchema):
    name = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=200))
    affiliation = colander.SchemaNode(colander.String(), validator=colander.Length(max=300), missing="")


class Authors(colander.SequenceSchema):
    author = Author()


def abstract_schema(limit: int) -> colander.SchemaNode:
    node = colander.SchemaNode(colander.Mapping(unknown="ignore"), name="abstract")
    for part in ABSTRACT_PARTS:
        node.add(colander.SchemaNode(
            colander.String(), name=part, validator=colander.Length(
                min=1, max=limit, max_err=f"at most {limit} characters")))
    return node


def submission_schema(limit: int = DEFAULT_ABSTRACT_MAX) -> colander.SchemaNode:
    schema = colander.SchemaNode(colander.Mapping(unknown="ignore"))
    schema.add(colander.SchemaNode(colander.String(), name="author_first_name",
                                   validator=colander.Length(min=1, max=100)))
    schema.add(colander.SchemaNode(colander.String(), name="author_last_name",
                                   validator=colander.Length(min=1, max=100)))
    schema.add(colander.SchemaNode(colander.String(), name="author_email",
                                   validator=colander.All(colander.Email(), colander.Length(max=254))))
    schema.add(colander.SchemaNode(colander.String(), name="author_phone", validator=colander.Length(max=40),
                                   missing=None))
    schema.add(colander.SchemaNode(colander.String(), name="institution", validator=colander.Length(max=300),
                                   missing=""))
    schema.add(colander.SchemaNode(colander.String(), name="theme", validator=colander.Length(max=200),
                                   missing=None))
    schema.add(colander.SchemaNode(colander.String(), name="title", validator=colander.Length(min=1, max=300)))
    schema.add(Authors(name="authors", validator=colander.Length(min=1, max=50)))
    schema.add(abstract_schema(limit))
    return schema


class SubmissionDoc(colander.MappingSchema):
    """Documentation shape of a public submission (validated with :func:`submission_schema`)."""

    author_first_name = colander.SchemaNode(colander.String())
    author_last_name = colander.SchemaNode(colander.String())
    author_email = colander.SchemaNode(colander.String())
    author_phone = colander.SchemaNode(colander.String(), missing=colander.drop)
    institution = colander.SchemaNode(colander.String(), missing=colander.drop)
    theme = colander.SchemaNode(colander.String(), missing=colander.drop)
    title = colander.SchemaNode(colander.String())
    authors = Authors()


class ReviewSchema(colander.MappingSchema):
    decision = colander.SchemaNode(colander.String(), validator=colander.OneOf(("accept", "reject")))
    comment = colander.SchemaNode(colander.String(), validator=colander.Length(max=5000), missing="")


class CommitteeSchema(colander.MappingSchema):
    user_id = colander.SchemaNode(schema.Int())


class FinalSchema(colander.MappingSchema):
    title = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=300), missing=None)
    authors = colander.SchemaNode(colander.String(), validator=colander.Length(max=5000), missing=None)
    co_authors = colander.SchemaNode(colander.String(), validator=colander.Length(max=5000), missing="")
    code = colander.SchemaNode(colander.String(), validator=colander.Length(max=30), missing=None)
