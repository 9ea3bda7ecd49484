from __future__ import annotations

import pytest

from pm.db.urls import mask_url, normalize_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:secret@h:5432/db", "postgresql://u:***@h:5432/db"),
        ("postgresql+psycopg://u:secret@h/db", "postgresql+psycopg://u:***@h/db"),
        ("postgresql://u:p@ss@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u:a:b:c@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u:a/b/c@h/db", "postgresql://u:***@h/db"),
        (
            "postgresql://u:@:/x@y@h:1/db?sslmode=require",
            "postgresql://u:***@h:1/db?sslmode=require",
        ),
        ("postgresql://u:p%40ss%3A@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
        ("postgresql://h/db", "postgresql://h/db"),
        (
            "postgresql://h/db?user=u&password=secret&x=1",
            "postgresql://h/db?user=u&password=***&x=1",
        ),
        ("postgresql://u:secret@h/db?password=secret", "postgresql://u:***@h/db?password=***"),
        ("sqlite:////tmp/a:b@c.db", "sqlite:////tmp/a:b@c.db"),
        ("sqlite:///relative.db", "sqlite:///relative.db"),
        ("not a url", "not a url"),
        ("host=h password=secret dbname=x", "host=h password=*** dbname=x"),
        ("host=h password='se cret' dbname=x", "host=h password=*** dbname=x"),
    ],
)
def test_mask_url(url: str, expected: str) -> None:
    assert mask_url(url) == expected


@pytest.mark.parametrize("secret", ["secret", "p@ss", "a:b", "x/y", "@:/?#", "pa ss", "ü€", "%40"])
def test_mask_url_never_shows_the_password(secret: str) -> None:
    masked = mask_url(f"postgresql://user:{secret}@db.example.com:5432/pm")
    assert secret not in masked
    assert masked == "postgresql://user:***@db.example.com:5432/pm"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
        ("  sqlite:///x.db\n", "sqlite:///x.db"),
    ],
)
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected
