#!/usr/bin/env bash
# The Transformers Lab Kit on The Littlest JupyterHub (one server for a room; docs/instructor.md walks through it).
# Run as root on the server, after TLJH's own installer, from a clone of the course:
#   curl -L https://tljh.jupyter.org/bootstrap.py | sudo python3 - --admin instructor
#   sudo git clone https://github.com/transformers-lab-kit/transformers-lab-kit /srv/transformers-lab
#   sudo bash /srv/transformers-lab/classroom/tljh/install.sh
# It installs the learners' environment from the kit's locks, prepares one read-only kit home for everyone, gives
# every learner the offline settings, sets the per-learner limits from the classroom benchmark, and the idle culler.
set -euo pipefail

KIT=$(cd "$(dirname "$0")/../.." && pwd)
LABKIT_HOME=${LABKIT_HOME:-/srv/labkit}   # the shared kit home (about 0.7 GB), read-only for learners
USER_ENV=${USER_ENV:-/opt/tljh/user}      # TLJH's environment for every learner's server and kernel
EXCHANGE=${EXCHANGE:-/srv/nbgrader/exchange}  # nbgrader's exchange: labs out, submissions in
CULL_TIMEOUT=${CULL_TIMEOUT:-3600}        # seconds idle before a learner's server stops and frees its memory
pin() { sed -n "s/^$1==//p" "$KIT/$2"; }  # a version from a lock: one source for every pin

[ "$(id -u)" = 0 ] || { echo "run as root: sudo bash $0" >&2; exit 1; }
[ -x "$USER_ENV/bin/pip" ] || { echo "no TLJH user environment at $USER_ENV: install TLJH first" >&2; exit 1; }

echo "1/5 the learners' packages: torch's CPU build, then requirements.lock, the kit, nbgitpuller and nbgrader"
# from Ubuntu: bubblewrap, the sandbox `labkit grade` runs each submission in; Node.js's npm, which `labkit prepare`
# fetches bertviz's scripts (06) and Transformers.js (09) with, for their offline views
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bubblewrap npm > /dev/null
"$USER_ENV/bin/pip" install --quiet "torch==$(pin torch requirements.lock)" --index-url https://download.pytorch.org/whl/cpu
"$USER_ENV/bin/pip" install --quiet -r "$KIT/requirements.lock"
"$USER_ENV/bin/pip" install --quiet --no-deps -e "$KIT"
"$USER_ENV/bin/pip" install --quiet "nbgitpuller==$(pin nbgitpuller requirements-classroom.lock)" \
  "nbgrader==$(pin nbgrader requirements-classroom.lock)"
# labkit's Jupyter server extension (it serves 09's Transformers.js page): an editable install skips its config file
mkdir -p "$USER_ENV/etc/jupyter/jupyter_server_config.d"
cp "$KIT/jupyter-config/labkit.json" "$USER_ENV/etc/jupyter/jupyter_server_config.d/labkit.json"

echo "2/5 the kit home, prepared once into $LABKIT_HOME and made read-only for learners"
LABKIT_HOME="$LABKIT_HOME" "$USER_ENV/bin/labkit" prepare --quiet
chmod -R a+rX,go-w "$LABKIT_HOME"

# The links pull the course from this checkout (--repo file://$KIT below), so learners get the revision installed here,
# never a newer one than the kit and kit home; git refuses to read a repository another user owns unless it is listed
git config --system --get-all safe.directory | grep -qxF "$KIT/.git" || git config --system --add safe.directory "$KIT/.git"

echo "3/5 every learner's settings: the shared kit home, offline, their own writes in their own home"
sed "s|/srv/labkit|$LABKIT_HOME|" "$KIT/classroom/tljh/labkit_config.py" \
  > /opt/tljh/config/jupyterhub_config.d/labkit.py

echo "4/5 nbgrader's exchange at $EXCHANGE, its learners' extensions, labkit-grader (\`labkit grade\`'s user)"
id labkit-grader > /dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin labkit-grader
mkdir -p "$EXCHANGE" && chmod 777 "$EXCHANGE"
mkdir -p /etc/jupyter
cat > /etc/jupyter/nbgrader_config.py <<EOF
c = get_config()
c.Exchange.root = "$EXCHANGE"
c.CourseDirectory.course_id = "transformers-lab-kit"
EOF
# nbgrader's extensions by role: learners keep the Assignment List and Validate; the instructor turns on the rest
JUPYTER="$USER_ENV/bin/jupyter" bash "$KIT/classroom/tljh/nbgrader_extensions.sh" learners > /dev/null

echo "5/5 limits per learner (from assets/classroom_sizing.json) and the idle culler"
read -r MEMORY CPU < <("$USER_ENV/bin/python" -c \
  'from labkit.classroom.sizing import load, z2jh_resources as r; x = r(load()); print(x["memory"]["limit"], x["cpu"]["limit"])')
tljh-config set limits.memory "$MEMORY"
tljh-config set limits.cpu "$CPU"
tljh-config set services.cull.timeout "$CULL_TIMEOUT"
tljh-config set user_environment.default_app jupyterlab
tljh-config reload
echo "done: each learner gets $MEMORY and $CPU CPUs"
echo "next (docs/instructor.md): HTTPS (tljh-config set https.enabled true ...), then the links for the class:"
echo "  $USER_ENV/bin/labkit classroom link --hub https://<this server's name> --repo file://$KIT --notebook 00"
echo "and nbgrader's Formgrader for the instructor alone, in the instructor's own JupyterLab terminal:"
echo "  bash $KIT/classroom/tljh/nbgrader_extensions.sh instructor"
