"""The MongoDB server's update operators and upsert seeds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dotcloud_emulator.mongoserver.update import (
    UpdateError,
    apply_update,
    resolve_positional,
    upsert_seed,
)


def test_replacement_keeps_the_id() -> None:
    assert apply_update({"_id": 1, "a": 1}, {"b": 2}) == {"_id": 1, "b": 2}


def test_set_unset_inc() -> None:
    doc = {"_id": 1, "a": 1, "b": {"c": 2}}
    new = apply_update(
        doc, {"$set": {"b.d": 3, "e.f": 4}, "$unset": {"a": ""}, "$inc": {"b.c": 5, "n": 1}}
    )
    assert new == {"_id": 1, "b": {"c": 7, "d": 3}, "e": {"f": 4}, "n": 1}
    assert doc == {"_id": 1, "a": 1, "b": {"c": 2}}  # the original is untouched


def test_array_operators() -> None:
    doc = {"_id": 1, "t": ["a"]}
    assert apply_update(doc, {"$push": {"t": "b"}})["t"] == ["a", "b"]
    assert apply_update(doc, {"$push": {"t": {"$each": ["b", "c"]}}})["t"] == ["a", "b", "c"]
    assert apply_update(doc, {"$push": {"new": 1}})["new"] == [1]
    assert apply_update(doc, {"$addToSet": {"t": "a"}})["t"] == ["a"]
    assert apply_update(doc, {"$addToSet": {"t": {"$each": ["a", "z"]}}})["t"] == ["a", "z"]
    assert apply_update({"t": [1, 2, 3, 2]}, {"$pull": {"t": 2}})["t"] == [1, 3]
    assert apply_update({"t": [1, 5, 9]}, {"$pull": {"t": {"$gte": 5}}})["t"] == [1]
    assert apply_update({"t": [{"k": 1}, {"k": 2}]}, {"$pull": {"t": {"k": 1}}})["t"] == [{"k": 2}]
    assert apply_update({"t": [1, 2, 3]}, {"$pop": {"t": 1}})["t"] == [1, 2]
    assert apply_update({"t": [1, 2, 3]}, {"$pop": {"t": -1}})["t"] == [2, 3]


def test_errors_carry_mongodb_codes() -> None:
    with pytest.raises(UpdateError) as error:
        apply_update({"_id": 1, "a": "x"}, {"$inc": {"a": 1}})
    assert error.value.code == 14
    with pytest.raises(UpdateError) as error:
        apply_update({"_id": 1, "a": 1}, {"$push": {"a": 1}})
    assert error.value.code == 14
    with pytest.raises(UpdateError) as error:
        apply_update({"_id": 1}, {"$set": {"_id": 2}})
    assert error.value.code == 66
    with pytest.raises(UpdateError) as error:
        apply_update({"_id": 1}, {"$bogus": {"a": 1}})
    assert error.value.code == 9


def test_upsert_seed_takes_the_equalities() -> None:
    seed = upsert_seed({"a": 1, "b.c": "x", "n": {"$gt": 3}, "e": {"$eq": 5}})
    assert seed == {"a": 1, "b": {"c": "x"}, "e": 5}
    new = apply_update(seed, {"$set": {"z": 1}, "$setOnInsert": {"made": True}}, inserting=True)
    assert new == {"a": 1, "b": {"c": "x"}, "e": 5, "z": 1, "made": True}


@given(st.lists(st.integers(-1000, 1000), max_size=10))
def test_inc_sums(steps: list[int]) -> None:
    doc: dict[str, object] = {"_id": 1}
    for step in steps:
        doc = apply_update(doc, {"$inc": {"n": step}})
    assert doc.get("n", 0) == sum(steps)


@given(st.lists(st.integers(0, 5), max_size=12))
def test_add_to_set_keeps_each_value_once(items: list[int]) -> None:
    doc: dict[str, object] = {"_id": 1, "s": []}
    for item in items:
        doc = apply_update(doc, {"$addToSet": {"s": item}})
    assert doc["s"] == list(dict.fromkeys(items))


def test_the_positional_operator_updates_the_matched_element() -> None:
    doc = {"_id": 1, "comments": [{"by": "a", "n": 1}, {"by": "b", "n": 1}], "tags": ["x", "y"]}
    change = resolve_positional(doc, {"comments.by": "b"}, {"$inc": {"comments.$.n": 5}})
    assert change == {"$inc": {"comments.1.n": 5}}
    assert apply_update(doc, change)["comments"] == [{"by": "a", "n": 1}, {"by": "b", "n": 6}]
    assert resolve_positional(doc, {"tags": "y"}, {"$set": {"tags.$": "z"}}) == {
        "$set": {"tags.1": "z"}
    }
    matched = {"comments": {"$elemMatch": {"by": "a", "n": {"$gte": 1}}}}
    assert resolve_positional(doc, matched, {"$set": {"comments.$.by": "c"}}) == {
        "$set": {"comments.0.by": "c"}
    }
    with pytest.raises(UpdateError, match="positional operator did not find the match"):
        resolve_positional(doc, {"_id": 1}, {"$set": {"comments.$.n": 0}})
