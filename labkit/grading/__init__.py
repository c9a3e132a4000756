"""Grading a room's notebooks on nbgrader: the course as an nbgrader source course (course.py), each submission's
kernel in a sandbox (sandbox.py), and ``labkit grade`` (grade.py), which lays submissions out, runs nbgrader's
autograde and writes one CSV with a status for every row. nbgrader itself is the optional ``classroom`` extra."""
