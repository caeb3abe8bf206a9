"""Demo data: the small agency of `make run` and the agency-scale data of the benchmarks."""
