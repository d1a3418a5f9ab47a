"""DistributedDataParallel on 2 and 4 ranks (mpiexec) against single-process full-batch training."""
import pytest

from mpi_launch import needs_mpi, run_workers

pytestmark = needs_mpi

CHECKS = ["broadcast_from_rank0_and_prefix", "tied_weights_equal_full_batch", "training_steps_stay_in_sync",
          "no_sync_accumulates", "find_unused_parameters", "unused_without_detection_errors_next_forward",
          "marked_ready_twice", "second_backward_without_forward_stays_local", "broadcast_buffers", "sync_batchnorm_equals_full_batch"]


@pytest.fixture(scope="module", params=[2, 4])
def reports(request, tmp_path_factory):
    return run_workers("ddp.py", request.param, tmp_path_factory.mktemp(f"ddp{request.param}"), timeout=120)


@pytest.mark.parametrize("check", CHECKS)
def test_ddp(reports, check):
    for rank, rep in enumerate(reports):
        res = rep[check]
        assert res["ok"], f"rank {rank}:\n{res['error']}"
