"""Properties of hashing and reporting over arbitrary records (hypothesis)."""

from __future__ import annotations

import random

import yaml
from conftest import REAL_RECORDS
from hypothesis import given, settings
from hypothesis import strategies as st

from appeal_archive.canonical import digest
from appeal_archive.records import loader, schema

SIGNATORY = yaml.safe_load((REAL_RECORDS / "signatories/appeal-of-belarusians-to-the-eu-02.yaml").read_text())


def restyle(data, rng: random.Random):
    """The same data with keys shuffled; dumped in a random YAML style with comments sprinkled in."""
    def shuffle(node):
        if isinstance(node, dict):
            items = list(node.items())
            rng.shuffle(items)
            return {key: shuffle(value) for key, value in items}
        if isinstance(node, list):
            return [shuffle(item) for item in node]
        return node

    text = yaml.safe_dump(shuffle(data), allow_unicode=True, sort_keys=False,
                          default_flow_style=rng.choice([False, None, True]),
                          default_style=rng.choice([None, '"']), width=rng.choice([40, 80, 1000]),
                          indent=rng.choice([2, 4]))
    # Full-line comments only before lines that start a top-level key: never inside a scalar.
    lines = [("# note\n" if rng.random() < 0.5 and line[:1] not in (" ", "") else "") + line
             for line in text.splitlines()]
    return "# start\n" + "\n".join(lines) + "\n# end\n"


@settings(max_examples=120, deadline=None)
@given(st.integers(min_value=0, max_value=10**9))
def test_hash_ignores_key_order_comments_and_style(seed: int):
    text = restyle(SIGNATORY, random.Random(seed))
    loaded = loader.load(text.encode("utf-8"))
    assert not any(issue.is_error for issue in loaded.issues)
    assert digest(loaded.data) == digest(SIGNATORY)


def leaves(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from leaves(value, path + (index,))
    else:
        yield path, node


def changed(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    return value + "." if value else "x"


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_any_value_change_changes_the_hash(data):
    paths = list(leaves(SIGNATORY))
    path, value = data.draw(st.sampled_from(paths))
    altered = yaml.safe_load(yaml.safe_dump(SIGNATORY))
    node = altered
    for token in path[:-1]:
        node = node[token]
    node[path[-1]] = changed(value)
    assert digest(altered) != digest(SIGNATORY)


def resolve(data, pointer: str):
    node = data
    for token in filter(None, pointer.split("/")):
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


mutations = st.sampled_from(["drop", "retype", "add", "nest"])


@settings(max_examples=120, deadline=None)
@given(st.data())
def test_every_reported_pointer_resolves_in_its_record(data):
    record = yaml.safe_load(yaml.safe_dump(SIGNATORY))
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        paths = [path for path, _ in leaves(record) if path]
        path = data.draw(st.sampled_from(paths))
        parent = resolve(record, "".join(f"/{token}" for token in path[:-1]))
        key = path[-1]
        action = data.draw(mutations)
        if action == "drop" and isinstance(parent, dict):
            parent.pop(key)
        elif action == "retype":
            parent[key] = [1] if isinstance(parent[key], str) else "text"
        elif action == "add" and isinstance(parent, dict):
            parent[data.draw(st.sampled_from(["extra", "nmae", "roel"]))] = "?"
        elif action == "nest":
            parent[key] = {"unexpected": {"deep": True}}
    text = yaml.safe_dump(record, allow_unicode=True, sort_keys=False)
    loaded = loader.load(text.encode())
    for issue in schema.iter_issues("signatory", loaded.data):
        pointer = issue.pointer.removesuffix("#key")
        resolve(loaded.data, pointer)  # raises if the pointer is wrong
        assert loader.Locator(loaded.text).at(issue.pointer)[0] is not None
