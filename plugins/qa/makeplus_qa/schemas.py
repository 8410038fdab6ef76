import colander

from .models import MAX_ANSWER_LENGTH, MAX_QUESTION_LENGTH


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class QuestionSchema(colander.MappingSchema):
    session = colander.SchemaNode(colander.String(), preparer=_strip, description="Session id (alias session_id)")
    question_text = colander.SchemaNode(colander.String(), preparer=_strip,
                                        validator=colander.Length(min=1, max=MAX_QUESTION_LENGTH))


class QuestionUpdateSchema(colander.MappingSchema):
    question_text = colander.SchemaNode(colander.String(), preparer=_strip,
                                        validator=colander.Length(min=1, max=MAX_QUESTION_LENGTH))


class SessionQuestionSchema(colander.MappingSchema):
    question_text = colander.SchemaNode(colander.String(), preparer=_strip,
                                        validator=colander.Length(min=1, max=MAX_QUESTION_LENGTH))


class AnswerSchema(colander.MappingSchema):
    answer_text = colander.SchemaNode(colander.String(), preparer=_strip, missing=colander.drop,
                                      validator=colander.Length(min=1, max=MAX_ANSWER_LENGTH),
                                      description="The answer; without it, is_answered is toggled")


ORDERINGS = ("asked_at", "-asked_at", "upvotes", "-upvotes")


class QuestionQuery(colander.MappingSchema):
    session = colander.SchemaNode(colander.String(), missing=colander.drop, description="Alias session_id")
    participant = colander.SchemaNode(colander.String(), missing=colander.drop,
                                      description="Participant id (gestionnaires only)")
    is_answered = colander.SchemaNode(colander.Boolean(), missing=colander.drop)
    mine = colander.SchemaNode(colander.Boolean(), missing=colander.drop,
                               description="Only the questions I asked")
    ordering = colander.SchemaNode(colander.String(), validator=colander.OneOf(ORDERINGS), missing=colander.drop)
