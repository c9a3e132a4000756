"""The kit on JupyterHub: nbgitpuller links for a class (link.py) and a class's server sized from measurements
(sizing.py). The deployment files themselves (TLJH script, z2jh values) are in the repository's ``classroom/``
folder; the real hub the tests and the classroom benchmark drive is test support (``tests/support/hub.py``)."""
