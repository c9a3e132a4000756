import os
import subprocess
import sys

from labkit.doctor import Check, check_package, doctor


def run_doctor(env_extra, code="from labkit.doctor import doctor; raise SystemExit(doctor(hub_timeout=1))"):
    env = {**os.environ, **env_extra}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=180)
    return done.returncode, done.stdout


def test_good_environment_passes(prepared):
    lines = []
    assert doctor(hub_timeout=1, out=lines.append) == 0
    assert not [line for line in lines if line.startswith("[FAIL]")]
    for name in ("Python", "torch", "transformers", "datasets", "tokenizers", "ipywidgets", "bertviz",
                 "widgets front end", "accelerator", "offline causal-lm", "Hugging Face Hub"):
        assert any(line.split("]", 1)[1].strip().startswith(name + ":") for line in lines), name
    assert lines[-1].endswith("ready for the course")


def test_broken_environment_fails_with_fixes(tmp_path):
    # bertviz made unimportable, and an empty kit home
    code = ("import sys; sys.modules['bertviz'] = None\n"
            "from labkit.doctor import doctor; raise SystemExit(doctor(hub_timeout=1))")
    status, out = run_doctor({"LABKIT_HOME": str(tmp_path), "LABKIT_SOURCE": "offline"}, code)
    assert status == 1
    lines = out.splitlines()
    bertviz = next(i for i, line in enumerate(lines) if line.startswith("[FAIL] bertviz"))
    assert "fix: run `make install`" in lines[bertviz + 1]
    from labkit.prepare import assets

    assert sum(line.startswith("[FAIL] offline ") for line in lines) == len(assets())
    assert "fix: run `labkit prepare`" in out
    assert "failed" in lines[-1] and "bertviz" in lines[-1]


def test_the_command_exits_non_zero_on_failure(tmp_path):
    status, out = run_doctor({"LABKIT_HOME": str(tmp_path)},
                             "from labkit.cli import main; raise SystemExit(main(['doctor', '--hub-timeout', '1']))")
    assert status == 1 and "[FAIL] offline encoder: not prepared yet" in out


def test_old_version_is_a_failure():
    check = check_package("json", "pytest", "999.0", "testing")  # pytest is installed, but not version 999
    assert check.status == "FAIL" and "older than 999.0" in check.detail
    assert check_package("no_such_module_xyz", "no-such", "1.0", "nothing").status == "FAIL"


def test_line_format():
    assert Check("OK", "torch", "2.13.0").line() == "[OK]   torch: 2.13.0"
    assert Check("WARN", "hub", "down", "get online").line() == "[WARN] hub: down\n       fix: get online"


def test_without_npm_bertviz_scripts_are_a_warning_with_the_fix(tmp_path):
    """bertviz's offline scripts need npm to fetch; without it the course still works, so the doctor warns."""
    code = ("import shutil; which = shutil.which; shutil.which = lambda n, *a, **k: None if n == 'npm' else which(n)\n"
            "from labkit.doctor import doctor; raise SystemExit(doctor(hub_timeout=1))")
    _, out = run_doctor({"LABKIT_HOME": str(tmp_path), "LABKIT_SOURCE": "offline"}, code)
    line = next(line for line in out.splitlines() if "offline bertviz-scripts" in line)
    assert line.startswith("[WARN]") and "install Node.js" in out
