import os

# Keep numerical libraries to one thread each: tests run on small machines, often in parallel.
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(var, "1")
