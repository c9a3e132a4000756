#!/usr/bin/env bash
# The learners' image for Zero to JupyterHub, built from binder/ with repo2docker (docs/instructor.md, "Kubernetes"):
#   bash classroom/z2jh/build-image.sh registry.example.org/transformers-lab:2026-12 [repository or folder] [ref]
# The chart mounts each learner's volume over /home/jovyan. repo2docker's default repository folder is that home, so
# the volume would hide binder/start and the folder labkit is installed from: the repository goes to REPO_DIR below,
# outside the home (values.yaml's KubeSpawner.notebook_dir still starts learners in their home).
set -euo pipefail

IMAGE=${1:?usage: build-image.sh IMAGE:TAG [repository or folder] [ref]}
SOURCE=${2:-https://github.com/transformers-lab-kit/transformers-lab-kit}
REF=${3:-}
REPO_DIR=/srv/transformers-lab

command -v repo2docker > /dev/null || { echo "repo2docker is missing: pip install jupyter-repo2docker" >&2; exit 1; }
# uid 1000 and jovyan, as the chart runs every learner's pod (singleuser.uid); repo2docker would otherwise take the
# uid of whoever builds the image
repo2docker --no-run --user-id 1000 --user-name jovyan --target-repo-dir "$REPO_DIR" ${REF:+--ref "$REF"} \
  --image-name "$IMAGE" "$SOURCE"
echo "built $IMAGE with the course in $REPO_DIR; push it with: docker push $IMAGE"
