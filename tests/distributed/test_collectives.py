"""Collectives on 2 and 4 ranks under mpiexec, each checked against NumPy by hand."""
import pytest

from mpi_launch import needs_mpi, run_workers

pytestmark = needs_mpi

CHECKS = ["queries", "all_reduce", "all_reduce_async_and_noncontiguous", "broadcast", "all_gather",
          "reduce_scatter_tensor", "gather_scatter_reduce", "send_recv_barrier", "objects", "new_group",
          "local_errors", "debug_detects_mismatch", "timeout", "new_group_waits_with_a_deadline"]


@pytest.fixture(scope="module", params=[2, 4])
def reports(request, tmp_path_factory):
    return run_workers("collectives.py", request.param, tmp_path_factory.mktemp(f"coll{request.param}"), timeout=90)


@pytest.mark.parametrize("check", CHECKS)
def test_collective(reports, check):
    for rank, rep in enumerate(reports):
        res = rep[check]
        assert res["ok"], f"rank {rank}:\n{res['error']}"


def test_local_errors_have_pytorchs_types_and_name_the_problem(reports):
    # The same calls on torch's gloo group raise these types (recorded from torch 2.13).
    want = ["TypeError", "TypeError", "RuntimeError", "RuntimeError", "RuntimeError", "ValueError", "ValueError",
            "RuntimeError"]
    got = reports[0]["local_errors"]["value"]
    assert [e and e[0] for e in got] == want
    assert "invalid root rank" in got[2][1] and "expected length" in got[3][1] and "expected (2), got (3)" in got[4][1]


def test_a_wait_nobody_answers_times_out(reports):
    seconds, message = reports[0]["timeout"]["value"]
    assert 0.9 < seconds < 5 and "Timed out after 1 s" in message
