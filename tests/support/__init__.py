"""What the tests (and the classroom benchmark) use to drive real services: a JupyterHub on localhost (hub.py),
Helm's values merge for the z2jh chart (helm.py). Not part of the installed ``labkit``."""
