#!/usr/bin/env python3
"""Python's concurrent.futures.ProcessPoolExecutor on the workloads of `parallax bench`.

Prints one JSON object with the figures. Run by `parallax bench`; `--quick` shrinks every loop.
"""
import json
import multiprocessing
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor


def echo(value):
    return value


MASK = (1 << 64) - 1


def kernel(job):
    """The speed-up figures' CPU-bound work: the dependent chain of parallax bench's kernel."""
    iterations, seed = job
    x = seed | 1
    for _ in range(iterations):
        x = (x * 6364136223846793005 + 1442695040888963407) & MASK
        x ^= x >> 29
    return x


def kernel_iterations(seconds):
    """The iterations that take about `seconds` here: the median of three timed runs of 50 ms or more."""
    rates = []
    probe = 1 << 10
    while len(rates) < 3:
        began = time.perf_counter()
        kernel((probe, probe))
        elapsed = time.perf_counter() - began
        if elapsed < 0.05:
            probe *= 2
            continue
        rates.append(probe / elapsed)
    return max(1, int(sorted(rates)[1] * seconds))


def speedup(pool, seconds, serial_seconds):
    """Tasks of `seconds` each, about `serial_seconds` of them in all: serial time over the pool's."""
    iterations = kernel_iterations(seconds)
    jobs = [(iterations, seed) for seed in range(max(8, int(serial_seconds / seconds)))]
    began = time.perf_counter()
    expected = [kernel(job) for job in jobs]
    serial = time.perf_counter() - began
    began = time.perf_counter()
    results = list(pool.map(kernel, jobs))
    parallel = time.perf_counter() - began
    assert results == expected
    return serial / parallel


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


def median(samples):
    ordered = sorted(samples)
    return ordered[len(ordered) // 2]


def main():
    quick = "--quick" in sys.argv
    workers = 2
    context = multiprocessing.get_context("fork")

    # A pool of four ready: the pool starts its processes lazily, so one task per worker.
    starts = []
    for _ in range(3 if quick else 7):
        start = time.perf_counter()
        with ProcessPoolExecutor(max_workers=4, mp_context=context) as ready:
            list(ready.map(echo, range(4)))
            starts.append((time.perf_counter() - start) * 1000)
    pool_start_ms = median(starts)

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    list(pool.map(echo, range(workers)))

    for value in range(200):
        pool.submit(echo, value).result()
    round_trips = []
    for value in range(300 if quick else 3000):
        began = time.perf_counter()
        pool.submit(echo, value).result()
        round_trips.append((time.perf_counter() - began) * 1e6)

    count = 5_000 if quick else 50_000
    began = time.perf_counter()
    futures = [pool.submit(echo, value) for value in range(count)]
    for future in futures:
        future.result()
    throughput = count / (time.perf_counter() - began)

    items = 100_000 if quick else 1_000_000
    began = time.perf_counter()
    total = sum(pool.map(echo, range(items), chunksize=256))
    map_items = items / (time.perf_counter() - began)
    assert total == items * (items - 1) // 2

    serial_seconds = 0.25 if quick else 1.0
    speedup_100us = speedup(pool, 100e-6, serial_seconds)
    speedup_1ms = speedup(pool, 1e-3, serial_seconds)

    pool.shutdown()

    idle = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    time.sleep(0.3)  # let the interpreter finish starting before its memory is read
    idle_rss = rss_mib(idle.pid)
    idle.stdin.close()
    idle.wait()

    print(json.dumps({
        "python_ppe_roundtrip_us_p50": median(round_trips),
        "python_ppe_throughput_tasks_per_s": throughput,
        "python_ppe_map_items_per_s": map_items,
        "python_ppe_pool_start_ms": pool_start_ms,
        "python_idle_rss_mib": idle_rss,
        "python_ppe_speedup_100us": speedup_100us,
        "python_ppe_speedup_1ms": speedup_1ms,
        "python_version": sys.version.split()[0],
    }))


if __name__ == "__main__":
    main()
