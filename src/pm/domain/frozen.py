"""Building many frozen slots dataclass records fast, for the few paths that build 100,000.

A frozen dataclass's generated ``__init__`` sets each field through ``object.__setattr__``
(its own ``__setattr__`` refuses): about 1 microsecond for an 8-field record, as much as
reading the row it comes from. `constructor` gives a positional constructor that stores
each value through the field's slot directly, about half that. The record is the same
object in every respect (its class, equality, hash, immutability, `dataclasses.replace`);
only the classes it accepts are narrowed to those whose ``__init__`` does nothing but store
the values (no ``__post_init__``, every field an ``__init__`` field), and it takes every
field, defaults included, in declaration order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from types import MemberDescriptorType
from typing import Any, TypeVar

T = TypeVar("T")


def constructor(cls: type[T]) -> Callable[..., T]:
    """``make(v1, ..., vn)``: a `cls` with its n fields, in declaration order, set to the
    values, equal to ``cls(v1, ..., vn)``. `cls` must be a frozen dataclass with slots whose
    ``__init__`` only stores its fields."""
    if not dataclasses.is_dataclass(cls) or not cls.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        raise TypeError(f"{cls.__name__} is not a frozen dataclass")
    fields = dataclasses.fields(cls)
    slots = [cls.__dict__.get(f.name) for f in fields]
    members = [slot for slot in slots if isinstance(slot, MemberDescriptorType)]
    if len(members) != len(fields):
        raise TypeError(f"{cls.__name__} does not keep its fields in slots")
    if hasattr(cls, "__post_init__") or not all(f.init for f in fields):
        raise TypeError(f"{cls.__name__}'s __init__ does more than store its fields")
    names = [f"v{i}" for i in range(len(fields))]
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    lines = [f"def make({', '.join(names)}):", "    record = new(cls)"]
    for name, slot in zip(names, members, strict=True):
        namespace[f"set_{name}"] = slot.__set__
        lines.append(f"    set_{name}(record, {name})")
    lines.append("    return record")
    exec("\n".join(lines), namespace)  # code generated from the field list above
    make: Callable[..., T] = namespace["make"]
    return make
