#!/usr/bin/env bash
# nbgrader's JupyterLab extensions by role (docs/instructor.md). nbgrader turns all of them on for everyone who shares
# its environment; a learner needs only the Assignment List (fetch, submit) and Validate. The instructor's own
# JupyterLab adds Formgrader, Create Assignment and Course List, on the course in ~/course.
#   sudo JUPYTER=/opt/tljh/user/bin/jupyter bash nbgrader_extensions.sh learners   (install.sh: every learner)
#   bash /srv/transformers-lab/classroom/tljh/nbgrader_extensions.sh instructor    (once, in the instructor's own
#                                                      JupyterLab terminal; then restart the server from the hub)
#   sudo JUPYTER=/opt/tljh/user/bin/jupyter bash nbgrader_extensions.sh everyone   (undoes `learners`)
# The instructor's settings win because Jupyter reads a user's ~/.jupyter before an environment they do not own.
set -euo pipefail

LAB=(@jupyter/nbgrader:formgrader @jupyter/nbgrader:create-assignment @jupyter/nbgrader:course-list)
SERVER=(nbgrader.server_extensions.formgrader nbgrader.server_extensions.course_list)
JUPYTER=${JUPYTER:-jupyter}
COURSE=${COURSE:-$HOME/course}  # the instructor's nbgrader course: source/, release/, gradebook.db

# `jupyter server extension enable/disable` refuses (and exits 0) an extension its own level does not list yet, so
# this writes the same files through the function that command calls: jupyter_server_config.d/<extension>.json
server_extensions() {  # on|off user|sys-prefix
  "$(dirname "$(command -v "$JUPYTER")")/python" - "$@" "${SERVER[@]}" <<'EOF'
import sys
from jupyter_server.extension.serverextension import toggle_server_extension_python

state, scope, *names = sys.argv[1:]
for name in names:
    toggle_server_extension_python(name, enabled=state == "on", user=scope == "user", sys_prefix=scope != "user")
EOF
}

case "${1:-}" in
  learners)
    "$JUPYTER" labextension disable --level=sys_prefix "${LAB[@]}"
    # JupyterLab's first `disable` in an environment locks what is already disabled there (its 4.1 migration), and a
    # lock at this level would stop the instructor's own `enable`
    "$JUPYTER" labextension unlock --level=sys_prefix "${LAB[@]}"
    server_extensions off sys-prefix
    ;;
  everyone)
    "$JUPYTER" labextension enable --level=sys_prefix "${LAB[@]}"
    "$JUPYTER" labextension unlock --level=sys_prefix "${LAB[@]}"
    server_extensions on sys-prefix
    ;;
  instructor)
    "$JUPYTER" labextension enable --level=user "${LAB[@]}"
    server_extensions on user
    config=$("$JUPYTER" --config-dir)/nbgrader_config.py
    if [ -e "$config" ]; then
      echo "kept your $config: set c.CourseDirectory.root there for Formgrader" >&2
    else
      mkdir -p "$COURSE" "$(dirname "$config")"
      printf 'c = get_config()\nc.CourseDirectory.root = "%s"\n' "$COURSE" > "$config"
      echo "Formgrader's course: $COURSE (in $config); restart your server to see it"
    fi
    ;;
  *)
    echo "usage: bash $0 learners|instructor|everyone" >&2
    exit 2
    ;;
esac
