"""The benchmark script runs and prints its figures (speed goals live there, not in tests)."""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_benchmark_script_runs(seeds_dir):
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench.py"), "--seeds", str(seeds_dir), "--copies", "1"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    for marker in ("== loading the 5 seeds", "snapshot cached", "baseline, one SPARQL query", "max RSS"):
        assert marker in proc.stdout, proc.stdout
