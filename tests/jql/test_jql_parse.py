"""Parsing, printing, errors and the line between the local subset and remote evaluation."""

from __future__ import annotations

import pytest

from jql.query import (
    And,
    Call,
    Clause,
    CustomField,
    CustomFieldId,
    Empty,
    JqlError,
    JqlUnsupported,
    Not,
    Or,
    OrderKey,
    Query,
    SystemField,
    Value,
    compile_jql,
    fields_of,
    format_jql,
    parse_jql,
)


def clause(field: str, operator: str, operand: object) -> Clause:
    return Clause(SystemField(field), operator, operand)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_query_matches_everything(text: str) -> None:
    assert parse_jql(text) == Query(None, ())


def test_precedence_not_binds_tighter_than_and_which_binds_tighter_than_or() -> None:
    query = parse_jql("status = A OR NOT status = B AND status = C")
    assert query.where == Or(
        (
            clause("status", "=", Value("A")),
            And((Not(clause("status", "=", Value("B"))), clause("status", "=", Value("C")))),
        )
    )


def test_parentheses_override_precedence_and_are_kept_in_the_tree() -> None:
    query = parse_jql("(status = A OR status = B) AND status = C")
    assert query.where == And(
        (
            Or((clause("status", "=", Value("A")), clause("status", "=", Value("B")))),
            clause("status", "=", Value("C")),
        )
    )


@pytest.mark.parametrize(
    "text",
    [
        "STATUS = Done",
        "Status = Done",
        "status = Done",
        "sTaTuS = Done",
    ],
)
def test_field_names_are_case_insensitive(text: str) -> None:
    assert parse_jql(text).where == clause("status", "=", Value("Done"))


@pytest.mark.parametrize(
    "text",
    [
        "a = 1 and b = 2",
        "a = 1 AND b = 2",
        "a = 1 And b = 2",
        "a = 1 && b = 2",
        "a = 1 & b = 2",
    ],
)
def test_and_keyword_spellings(text: str) -> None:
    assert isinstance(parse_jql(text).where, And)


@pytest.mark.parametrize("text", ["a = 1 or b = 2", "a = 1 || b = 2", "a = 1 | b = 2"])
def test_or_keyword_spellings(text: str) -> None:
    assert isinstance(parse_jql(text).where, Or)


@pytest.mark.parametrize("text", ["not a = 1", "NOT a = 1", "!a = 1", "! (a = 1)"])
def test_not_keyword_spellings(text: str) -> None:
    assert isinstance(parse_jql(text).where, Not)


def test_words_that_start_with_keywords_are_plain_words() -> None:
    query = parse_jql("android = orders AND notes = isolated AND inbox = ornament")
    assert isinstance(query.where, And)
    assert query.where.items[0] == Clause(CustomField("android"), "=", Value("orders"))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("type = Bug", "issuetype"),
        ("issuetype = Bug", "issuetype"),
        ("createdDate > -1d", "created"),
        ("updatedDate > -1d", "updated"),
        ("resolutiondate > -1d", "resolved"),
        ("resolved > -1d", "resolved"),
        ("due < now()", "duedate"),
        ("issuekey = A-1", "key"),
        ("id = 10001", "key"),
        ("issue = A-1", "key"),
        ("components = UI", "component"),
        ("component = UI", "component"),
        ("'Epic Link' = A-1", "Epic Link"),
        ('"epic link" = A-1', "Epic Link"),
    ],
)
def test_field_aliases_resolve_to_the_canonical_field(text: str, expected: str) -> None:
    where = parse_jql(text).where
    assert isinstance(where, Clause) and where.field == SystemField(expected)


def test_custom_fields_by_name_and_by_id() -> None:
    assert parse_jql('"Story Points" >= 3').where == Clause(CustomField("Story Points"), ">=", Value("3"))
    assert parse_jql("Team = Platform").where == Clause(CustomField("Team"), "=", Value("Platform"))
    assert parse_jql("cf[10014] = A-1").where == Clause(CustomFieldId(10014), "=", Value("A-1"))


@pytest.mark.parametrize(
    "text, operand",
    [
        ("status = EMPTY", Empty()),
        ("status = null", Empty()),
        ("status = NULL", Empty()),
        ('status = "EMPTY"', Value("EMPTY")),
        ("assignee = currentUser()", Call("currentUser")),
        ("assignee = CURRENTUSER()", Call("currentUser")),
        ("created > startofmonth(-1)", Call("startOfMonth", ("-1",))),
        ('created > startOfDay("-1d")', Call("startOfDay", ("-1d",))),
        ('created < endOfWeek("+1w")', Call("endOfWeek", ("+1w",))),
        ('summary ~ "say \\"hi\\" \\\\ there"', Value('say "hi" \\ there')),
        ("summary ~ 'it\\'s'", Value("it's")),
        ("created > -30d", Value("-30d")),
        ('created > "-1w 2d"', Value("-1w 2d")),
        ("created > 2026/10/01", Value("2026/10/01")),
        ('created > "2026-10-01 10:00"', Value("2026-10-01 10:00")),
    ],
)
def test_operands(text: str, operand: object) -> None:
    where = parse_jql(text).where
    assert isinstance(where, Clause) and where.operand == operand


def test_in_lists_and_emptiness_operators() -> None:
    assert parse_jql("project IN (A, 'B', EMPTY)").where == clause("project", "in", (Value("A"), Value("B"), Empty()))
    assert parse_jql("project not in (A)").where == clause("project", "not in", (Value("A"),))
    assert parse_jql("assignee is empty").where == clause("assignee", "is", Empty())
    assert parse_jql("assignee IS NOT NULL").where == clause("assignee", "is not", Empty())


def test_order_by_is_parsed_and_kept() -> None:
    query = parse_jql("project = A ORDER BY created DESC, Rank asc, key")
    assert query.order_by == (OrderKey("created", "desc"), OrderKey("Rank", "asc"), OrderKey("key", None))
    assert parse_jql("order by updated").where is None


@pytest.mark.parametrize(
    "text, canonical",
    [
        ("project = shop and type = bug", "project = shop AND issuetype = bug"),
        ("a = 1 or (b = 2 or c = 3)", "a = 1 OR (b = 2 OR c = 3)"),
        ("a = 1 and (b = 2 and c = 3)", "a = 1 AND (b = 2 AND c = 3)"),
        ("a = 1 or b = 2 and c = 3", "a = 1 OR b = 2 AND c = 3"),
        ("not (a = 1 or b = 2)", "NOT (a = 1 OR b = 2)"),
        ("!!a = 1", "NOT NOT a = 1"),
        ("status in ('To Do', Done)", 'status IN ("To Do", Done)'),
        ("assignee is null", "assignee IS EMPTY"),
        ("'Story Points' > 3 order by created desc", '"Story Points" > 3 ORDER BY created DESC'),
        ('summary ~ "and"', 'summary ~ "and"'),
        ("created >= startofday(-1)", "created >= startOfDay(-1)"),
    ],
)
def test_format_is_canonical_and_round_trips(text: str, canonical: str) -> None:
    query = parse_jql(text)
    assert format_jql(query) == canonical
    assert parse_jql(canonical) == query


@pytest.mark.parametrize(
    "text, message",
    [
        ("status = ", "expected a value after '=' at the end of the query"),
        ("project = SHOP AND status =", "expected a value after '=' at the end of the query"),
        ("project = SHOP AND status = AND x = 1", "expected a value after '=' at column 29, found 'AND'"),
        ("status", "expected an operator"),
        (
            "status Done",
            "expected an operator (=, !=, ~, !~, >, >=, <, <=, IN, NOT IN, IS, IS NOT) after 'status' at column 8",
        ),
        ("a = b c", "expected AND, OR or ORDER BY after 'b' at column 7, found 'c'"),
        ("(a = b", "expected ')' after 'b' at the end of the query"),
        ("a in b", "expected a list of values in parentheses after 'in' at column 6"),
        ("a in ()", "expected a value after '(' at column 7"),
        ("a is b", "expected EMPTY or NOT EMPTY after 'is' at column 6"),
        ('a = "open', "unterminated string at column 5"),
        ("a = b }", "unexpected character '}' at column 7"),
        ("a = b and", "expected a field name after 'and' at the end of the query"),
        ("a = 1\nAND = 2", "expected a field name after 'AND' at line 2, column 5"),
        ("created > soon", "'soon' at column 11 is not a date for the field 'created'"),
        ("due = 2026-13-45", "is not a date for the field 'duedate'"),
        ("status ~ Done", "the operator '~' at column 8 is not supported by the field 'status'"),
        ("summary = Done", "the operator '=' at column 9 is not supported by the text field 'summary'"),
        ("labels > a", "the operator '>' at column 8 is not supported by the field 'labels'"),
        ("created > EMPTY", "EMPTY cannot be used with '>'"),
        ("status = now()", "the function 'now()' at column 10 is not supported by the field 'status'"),
        ("created > startOfDay(1, 2)", "takes at most one offset"),
        ("created > startOfDay(soon)", "expected an offset such as"),
        ("assignee = currentUser(x)", "takes no arguments"),
        ("status = not", "expected a value after '=' at column 10, found 'not'"),
        ("and = 1", "expected a field name at column 1, found 'and'"),
        ("key > banana", "'banana' at column 7 is not an issue key"),
        ('a = "\\q"', "unknown escape '\\q'"),
    ],
)
def test_errors_name_the_position_and_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(JqlError) as caught:
        parse_jql(text)
    assert not isinstance(caught.value, JqlUnsupported)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "text, construct",
    [
        ("sprint in openSprints()", "sprint"),
        ("fixVersion = 1.0", "fixVersion"),
        ('fixVersion = "1.0"', "fixVersion"),
        ("status WAS Done", "WAS"),
        ("status was not in (Done) after -1w", "WAS NOT IN"),
        ("status CHANGED FROM Open TO Done", "CHANGED"),
        ('issueFunction in linkedIssuesOf("project = A")', "issueFunction"),
        ('assignee in membersOf("jira-users")', "membersOf()"),
        ("issuetype in standardIssueTypes()", "standardIssueTypes()"),
        ("priority > Low", "ordering by priority"),
        ('description ~ "crash"', "description"),
        ('comment ~ "crash"', "comment"),
        ('project = "My Project"', "project by name"),
        ("project = 10000", "project by id"),
        ("status = 10001", "status by id"),
    ],
)
def test_valid_jql_outside_the_subset_is_unsupported(text: str, construct: str) -> None:
    with pytest.raises(JqlUnsupported) as caught:
        parse_jql(text)
    assert construct in str(caught.value)


def test_unsupported_is_a_jql_error_so_callers_can_catch_both() -> None:
    assert issubclass(JqlUnsupported, JqlError) and issubclass(JqlError, ValueError)


def test_fields_of_names_the_document_keys_read() -> None:
    query = parse_jql('project = A AND (labels = x OR resolved > -1d) AND NOT "Story Points" > 1 AND cf[10014] = A-1')
    assert fields_of(query) == {"project", "labels", "resolutiondate", "custom:story points", "customfield_10014"}
    assert fields_of(query, {"story points": "customfield_10016"}) >= {"customfield_10016"}
    assert fields_of(parse_jql('"Epic Link" = A-1')) == {"custom:epic link"}  # no field names known yet
    assert fields_of(parse_jql('"Epic Link" = A-1'), {"team": "customfield_10001"}) == {"parent"}
    assert fields_of(parse_jql('"Epic Link" = A-1'), {"epic link": "customfield_10014"}) == {"customfield_10014"}
    assert fields_of(parse_jql("")) == frozenset()


def test_a_query_nested_too_deep_is_a_jql_error_not_a_crash() -> None:
    for text in ("NOT " * 3000 + "a = b", "NOT " * 150 + "a = b", "(a = b AND " * 900 + "a = b" + ")" * 900):
        with pytest.raises(JqlError, match="more than 100 levels deep"):
            parse_jql(text)
    assert compile_jql("NOT " * 99 + "labels = x")  # deep, but within the bound: it parses and binds
    assert parse_jql("(" * 3000 + "a = b" + ")" * 3000).where == parse_jql("a = b").where  # parentheses alone add none
