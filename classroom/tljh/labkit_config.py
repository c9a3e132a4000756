# JupyterHub settings for a class on the Transformers Lab Kit: every learner's server gets the shared, read-only
# kit home and the offline settings; what a learner's run writes (progress, outputs, models) goes to their own home
# (labkit's user folder and Hugging Face's cache are under $HOME).
# TLJH loads it from /opt/tljh/config/jupyterhub_config.d/ (classroom/tljh/install.sh copies it there); the hub test
# (tests/support/hub.py) loads the same file.
import os

c = get_config()  # noqa: F821
c.Spawner.environment.update({
    "LABKIT_HOME": os.environ.get("LABKIT_HOME", "/srv/labkit"),  # prepared once by the admin, read-only for learners
    "LABKIT_SOURCE": "offline",
    "HF_HUB_OFFLINE": "1",  # nothing from the Hugging Face Hub: the kit home has every model
    "HF_DATASETS_OFFLINE": "1",
    # One torch thread per learner: torch starts one per core, and on cores shared by a class the threads spin
    # against each other (tried on 2 cores with torch's default threads: three learners at once on notebook 04 each
    # spent several times the CPU of one alone). The classroom benchmark measured with this setting.
    "OMP_NUM_THREADS": "1",
})
c.Spawner.default_url = "/lab"
