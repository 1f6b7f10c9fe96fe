"""fastmlp benchmarks: fastmlp against its peers, same data, same process, interleaved.

Run ``python -m bench [--quick] [module ...]``; results go to ``bench/results/``.
"""
