"""WSGI entry point: ``flask --app app`` and ``gunicorn app:app`` both use this."""

import gc

from certreg import create_app

app = create_app()

# What exists now (the modules, the app and its routes, the models' metadata, the templates' environment)
# lives as long as the process. Frozen, it is left out of the cyclic garbage collector's passes: under load a
# worker's full collections walked it for ~150 ms each and its middle ones for ~1 ms, and the requests they
# stopped were the scan pages' slowest (docs/benchmarks.md, "Session 9"). Garbage made later is collected as
# before.
gc.freeze()
