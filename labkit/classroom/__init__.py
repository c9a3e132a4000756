"""The kit on JupyterHub: nbgitpuller links for a class (link.py) and a real hub on this machine for tests and
benchmarks (localhub.py). The deployment files themselves (TLJH script, z2jh values) are in the repository's
``classroom/`` folder."""
