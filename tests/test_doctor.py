import os
import subprocess
import sys

from labkit.environment import PACKAGES, Check, check_package, doctor, required_versions


def run_doctor(env_extra, code="from labkit.environment import doctor; raise SystemExit(doctor(hub_timeout=1))"):
    env = {**os.environ, **env_extra}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=180)
    return done.returncode, done.stdout


def test_good_environment_passes(prepared):
    lines = []
    assert doctor(hub_timeout=1, out=lines.append) == 0
    assert not [line for line in lines if line.startswith("[FAIL]")]
    for name in ("Python", "torch", "transformers", "datasets", "tokenizers", "ipywidgets", "bertviz",
                 "widgets front end", "Jupyter server extension", "accelerator", "offline causal-lm",
                 "offline transformers-js", "onnxruntime", "langchain_core", "Hugging Face Hub"):
        assert any(line.split("]", 1)[1].strip().startswith(name + ":") for line in lines), name
    assert lines[-1].endswith("ready for the course")


def test_the_server_extension_is_checked_in_this_prefix(tmp_path, monkeypatch):
    from labkit.environment import check_server_extension
    from labkit.server import CONFIG

    assert check_server_extension().status == "OK"  # make install enabled it in this environment
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    missing = check_server_extension()
    assert missing.status == "WARN" and "make install" in missing.fix
    (tmp_path / CONFIG).parent.mkdir(parents=True)
    (tmp_path / CONFIG).write_text('{"ServerApp": {"jpserver_extensions": {"labkit.server": false}}}')
    assert check_server_extension().status == "WARN"  # disabled by the admin: still said


def test_broken_environment_fails_with_fixes(tmp_path):
    # bertviz made unimportable, and an empty kit home
    code = ("import sys; sys.modules['bertviz'] = None\n"
            "from labkit.environment import doctor; raise SystemExit(doctor(hub_timeout=1))")
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


def test_a_version_outside_the_range_is_a_failure():
    check = check_package("json", "pytest", "testing", wanted=">=999.0")  # pytest is installed, but not 999
    assert check.status == "FAIL" and "outside the supported range >=999.0" in check.detail
    assert check_package("no_such_module_xyz", "no-such", "nothing").status == "FAIL"


def test_the_supported_versions_are_pyprojects_as_installed():
    """One source: the doctor checks the ranges in pyproject.toml (read from the installed metadata)."""
    import tomllib
    from pathlib import Path

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    declared = {canonicalize_name(Requirement(r).name): str(Requirement(r).specifier)
                for r in pyproject["project"]["dependencies"]}
    installed = required_versions()
    assert {name: installed[name] for name in declared} == declared
    for module, dist, _ in PACKAGES:
        assert canonicalize_name(dist) in installed, f"{dist}: declare it in pyproject.toml"
    assert check_package("transformers", "transformers", "the course").status == "OK"


def test_line_format():
    assert Check("OK", "torch", "2.13.0").line() == "[OK]   torch: 2.13.0"
    assert Check("WARN", "hub", "down", "get online").line() == "[WARN] hub: down\n       fix: get online"


def test_without_npm_bertviz_scripts_are_a_warning_with_the_fix(tmp_path):
    """bertviz's offline scripts need npm to fetch; without it the course still works, so the doctor warns."""
    code = ("import shutil; which = shutil.which; shutil.which = lambda n, *a, **k: None if n == 'npm' else which(n)\n"
            "from labkit.environment import doctor; raise SystemExit(doctor(hub_timeout=1))")
    _, out = run_doctor({"LABKIT_HOME": str(tmp_path), "LABKIT_SOURCE": "offline"}, code)
    line = next(line for line in out.splitlines() if "offline bertviz-scripts" in line)
    assert line.startswith("[WARN]") and "install Node.js" in out
