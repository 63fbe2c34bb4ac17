"""Strategies that say which rule or branch produced each value.

A labelled strategy draws ``(label, value)`` pairs and records the label with ``hypothesis.event``, so
`pytest --hypothesis-show-statistics` shows how often each class was reached and self-tests can count
coverage. ``values(...)`` drops the labels for use where plain values are wanted (schemathesis, @given).
"""

from __future__ import annotations

from typing import TypeVar

from hypothesis import event
from hypothesis import strategies as st

T = TypeVar("T")
Labelled = tuple[str, T]


def labelled(label: str, strategy: st.SearchStrategy[T]) -> st.SearchStrategy[Labelled[T]]:
    def tag(value: T) -> Labelled[T]:
        event(label)
        return (label, value)

    return strategy.map(tag)


def values(strategy: st.SearchStrategy[Labelled[T]]) -> st.SearchStrategy[T]:
    return strategy.map(lambda pair: pair[1])
