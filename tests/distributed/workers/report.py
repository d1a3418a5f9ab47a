"""Worker side: run named checks, record each one's outcome per rank as JSON."""
import json
import os
import sys
import traceback


class Report:
    def __init__(self, rank):
        self.rank, self.results = rank, {}

    def check(self, name):
        def deco(fn):
            try:
                out = fn()
                self.results[name] = {"ok": True, "value": out}
            except Exception:
                self.results[name] = {"ok": False, "error": traceback.format_exc()}
            return fn

        return deco

    def save(self, outdir=None):
        with open(os.path.join(outdir or sys.argv[1], f"rank{self.rank}.json"), "w") as f:
            json.dump(self.results, f)
