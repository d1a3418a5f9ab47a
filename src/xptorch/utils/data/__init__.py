"""Datasets and the DataLoader that batches them."""
from .dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split
from .dataloader import (BatchSampler, DataLoader, RandomSampler, Sampler, SequentialSampler, default_collate,
                         default_convert)
from .distributed import DistributedSampler
from ._worker import WorkerInfo, get_worker_info

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "Subset", "random_split",
           "DataLoader", "DistributedSampler", "Sampler", "SequentialSampler", "RandomSampler", "BatchSampler",
           "default_collate", "default_convert", "get_worker_info", "WorkerInfo"]
