"""forked_map: the workers read what the parent handed them through fork, the parent keeps nothing, results come
back in order, and a worker's error is raised in the parent."""

from __future__ import annotations

import threading

import pytest

from appeal_archive import workers


def _scaled(shared: dict, item: int) -> tuple[int, int]:
    return item * shared["factor"], len(workers._in_this_worker)


def _refuse(shared: dict, item: int) -> int:
    if item == 3:
        raise ValueError("item 3 is refused")
    return item


def test_workers_get_the_shared_value_the_parent_keeps_nothing_and_results_keep_their_order():
    beside, results = workers.forked_map(_scaled, {"factor": 3}, list(range(20)), jobs=2, alongside=lambda: "here")
    assert beside == "here" and [value for value, _ in results] == [item * 3 for item in range(20)]
    assert {held for _, held in results} == {1}  # in each worker, once
    assert workers._in_this_worker == []


def test_one_job_runs_here_and_a_workers_error_is_raised_here():
    assert workers.forked_map(_scaled, {"factor": 2}, [1, 2], jobs=1) == (None, [(2, 0), (4, 0)])
    with pytest.raises(ValueError, match="item 3 is refused"):
        workers.forked_map(_refuse, {}, list(range(6)), jobs=2)


def test_calls_side_by_side_in_threads_do_not_mix():
    found: dict[int, list] = {}

    def run(factor: int) -> None:
        found[factor] = workers.forked_map(_scaled, {"factor": factor}, list(range(8)), jobs=2)[1]

    threads = [threading.Thread(target=run, args=(factor,)) for factor in (5, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {factor: [value for value, _ in results] for factor, results in found.items()} == \
        {factor: [item * factor for item in range(8)] for factor in (5, 7)}
