"""The MongoDB server's pure parts: the value order, the query matcher, sort and projection."""

from __future__ import annotations

import datetime

import pytest
from bson import Int64, ObjectId, Regex
from hypothesis import given
from hypothesis import strategies as st

from dotcloud_emulator.mongoserver import query, values

DOC = {
    "_id": 1,
    "name": "ada",
    "age": 36,
    "tags": ["math", "engines"],
    "address": {"city": "London", "zip": "W1"},
    "orders": [{"item": "gear", "qty": 3}, {"item": "cam", "qty": 10}],
}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ({}, True),
        ({"name": "ada"}, True),
        ({"name": "bob"}, False),
        ({"age": 36.0}, True),
        ({"age": Int64(36)}, True),
        ({"address.city": "London"}, True),
        ({"address.city": "Paris"}, False),
        ({"tags": "math"}, True),
        ({"tags": ["math", "engines"]}, True),
        ({"tags.1": "engines"}, True),
        ({"orders.item": "cam"}, True),
        ({"orders.qty": {"$gt": 5}}, True),
        ({"orders.qty": {"$gt": 50}}, False),
        ({"age": {"$gt": 30, "$lt": 40}}, True),
        ({"age": {"$gte": 36}}, True),
        ({"age": {"$lte": 35}}, False),
        ({"age": {"$gt": "a"}}, False),
        ({"age": {"$ne": 36}}, False),
        ({"missing": {"$ne": 1}}, True),
        ({"age": {"$in": [1, 36]}}, True),
        ({"tags": {"$in": ["engines"]}}, True),
        ({"age": {"$nin": [1, 36]}}, False),
        ({"missing": {"$exists": False}}, True),
        ({"age": {"$exists": True}}, True),
        ({"missing": None}, True),
        ({"$or": [{"age": 1}, {"name": "ada"}]}, True),
        ({"$and": [{"age": 36}, {"name": "bob"}]}, False),
        ({"$nor": [{"age": 1}]}, True),
        ({"name": Regex("^A", "i")}, True),
        ({"name": {"$regex": "d", "$options": ""}}, True),
        ({"name": {"$not": {"$regex": "^a"}}}, False),
        ({"tags": {"$all": ["engines", "math"]}}, True),
        ({"tags": {"$size": 2}}, True),
        ({"orders": {"$elemMatch": {"item": "gear", "qty": {"$gte": 3}}}}, True),
        ({"orders": {"$elemMatch": {"item": "gear", "qty": 10}}}, False),
        ({"age": {"$mod": [6, 0]}}, True),
        ({"age": True}, False),  # booleans are not numbers
    ],
)
def test_matcher(selector: dict[str, object], expected: bool) -> None:
    assert query.matches(DOC, selector) is expected


def test_unknown_operator_is_an_error() -> None:
    with pytest.raises(query.QueryError, match=r"unknown operator: \$bogus"):
        query.matches(DOC, {"age": {"$bogus": 1}})


def test_type_order_follows_mongodb() -> None:
    ordered = [None, 1, "a", {"a": 1}, [1], b"x", ObjectId(), False, datetime.datetime(2012, 1, 1)]
    assert sorted(reversed(ordered), key=values.sort_key) == ordered


def test_sort_skip_projection() -> None:
    documents = [{"_id": i, "n": n, "x": {"y": i}} for i, n in enumerate([3, 1, 2])]
    assert [d["n"] for d in query.sort_documents(documents, {"n": 1})] == [1, 2, 3]
    assert [d["n"] for d in query.sort_documents(documents, {"n": -1})] == [3, 2, 1]
    assert query.project(documents[0], {"n": 1}) == {"_id": 0, "n": 3}
    assert query.project(documents[0], {"n": 0, "_id": 0}) == {"x": {"y": 0}}
    assert query.project(documents[0], {"x.y": 1, "_id": 0}) == {"x": {"y": 0}}
    with pytest.raises(query.QueryError):
        query.project(documents[0], {"n": 1, "x": 0})


def test_sort_by_array_uses_smallest_ascending_and_largest_descending() -> None:
    documents = [{"v": [5, 1]}, {"v": [3]}]
    assert query.sort_documents(documents, {"v": 1})[0] == {"v": [5, 1]}
    assert query.sort_documents(documents, {"v": -1})[0] == {"v": [5, 1]}


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False),
    st.text(max_size=5),
)


@given(scalars, scalars)
def test_order_is_total_and_equality_agrees(left: object, right: object) -> None:
    a, b = values.sort_key(left), values.sort_key(right)
    assert (a < b) + (a == b) + (a > b) == 1
    assert query.matches({"f": left}, {"f": right}) == (a == b)


@given(st.lists(st.integers(-100, 100), max_size=20), st.integers(-100, 100))
def test_comparisons_agree_with_python(numbers: list[int], bound: int) -> None:
    documents = [{"n": n} for n in numbers]
    found = [d["n"] for d in documents if query.matches(d, {"n": {"$gt": bound}})]
    assert found == [n for n in numbers if n > bound]
    found = [d["n"] for d in documents if query.matches(d, {"n": {"$lte": bound}})]
    assert found == [n for n in numbers if n <= bound]
