"""A warehouse's Dagster UI, and its Dagster home, from its settings (assets/deployment.py):

    xxgk ui   [--warehouse DIR] [--host H] [--port P]   `dg dev` on the warehouse's own instance
    xxgk ui   [--warehouse DIR] --stop                  stop the UI started so (also from `make ui-stop`)
    xxgk home [--warehouse DIR]                         print the warehouse's DAGSTER_HOME (made if new)

The UI, its daemon and code server run with DAGSTER_HOME set to the warehouse's instance and
XXGK_WAREHOUSE to its DuckDB file: every run they launch (the UI's Materialize, a backfill, the
schedule, the sensors) reads the warehouse's recorded settings, whatever the shell that started
the UI had set. `xxgk home` serves Dagster's own commands:
`DAGSTER_HOME=$(xxgk home --warehouse DIR) dagster job backfill …` queues the backfill in that
warehouse's instance, where its daemon runs it.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from assets.deployment import PROJECT_ROOT, WAREHOUSE_HELP, Deployment, DeploymentError, locate, write_settings
from xxgk.settings import Settings, variable_of

PID_FILE = ".dagster-ui.pid"


def deployment_of(warehouse: str | None, environ=None) -> Deployment:
    """The warehouse named on the command line (else by the environment, else the default), checked:
    its folder holds no other warehouse, and its Dagster home serves no other."""
    deployment = locate(warehouse, environ)
    recorded = deployment.settings.get("database")
    if recorded and recorded != deployment.database.name:
        raise DeploymentError(
            f"the folder {deployment.folder} holds the warehouse {recorded} (its {deployment.settings_file.name}); "
            f"one warehouse per folder: give {deployment.database.name} a folder of its own")
    deployment.check_home()
    return deployment


def record_settings(deployment: Deployment, values: dict) -> list[str]:
    """Write the warehouse's settings (xxgk.yaml); the lines to say about a changed inbox."""
    lines = []
    before = deployment.settings.get("inbox")
    if before and before != values["inbox"]:
        lines.append(f"the warehouse {deployment.folder} now reads the inbox {values['inbox']} (was {before}): "
                     f"its backfills, schedule and sensors use it (a running UI: reload its code location)")
    write_settings(deployment.folder, deployment.to_record(values))
    return lines


def _for_the_ui(deployment: Deployment) -> tuple[Deployment, list[str]]:
    """The warehouse as its UI serves it: the recorded settings over the shell's variables (a
    shell's XXGK_INBOX does not redirect a warehouse's sensor); the lines that say what was ignored."""
    environ, ignored = dict(deployment.environ), []
    for name, variable in ((n, variable_of(n)) for n in Settings.model_fields if n in deployment.settings):
        if variable in environ:
            value = environ.pop(variable)
            if str(value) != str(deployment.settings[name]):
                ignored.append(f"{variable}={value} ignored: the warehouse {deployment.folder} has {name} "
                               f"{deployment.settings[name]} ({deployment.settings_file.name})")
    return Deployment(deployment.database, deployment.settings, environ), ignored


def _say_err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def prepare(deployment: Deployment, say=_say_err) -> Deployment:
    """Make the warehouse's Dagster home (under its lock) and record its settings."""
    from pipelines.instance import open_instance

    deployment, ignored = _for_the_ui(deployment)
    for line in ignored:
        say(f"xxgk: {line}")  # the warehouse's settings win over the shell's
    values = deployment.values()
    open_instance(deployment).dispose()
    for line in record_settings(deployment, values):
        say(line)
    return deployment


def ui_environment(deployment: Deployment) -> dict[str, str]:
    """The environment of `dg dev` and all it starts: the warehouse's home and DuckDB file, and the
    environment of `deployment` as _for_the_ui made it (the variables its settings record left out)."""
    env = {k: v for k, v in deployment.environ.items()}
    env["DAGSTER_HOME"] = str(deployment.home)
    env[variable_of("warehouse")] = str(deployment.database)
    env["VIRTUAL_ENV"] = str(Path(sys.executable).parent.parent)  # dg warns when the active venv is not the project's
    return env


def dg_command(host: str, port: int) -> tuple[list[str], Path]:
    """`dg dev` and the folder to run it in: the project folder (pyproject.toml names the code
    location); installed from a wheel, anywhere, with the module named."""
    dg = str(Path(sys.executable).with_name("dg"))
    command = [dg, "dev", "--host", host, "--port", str(port)]
    if (PROJECT_ROOT / "pyproject.toml").is_file():
        return command, PROJECT_ROOT
    return [*command, "-m", "pipelines.definitions"], Path.cwd()


def start_ui(deployment: Deployment, host: str, port: int) -> int:
    deployment = prepare(deployment)
    env = ui_environment(deployment)
    command, folder = dg_command(host, port)
    print(f"the Dagster UI of the warehouse {deployment.folder} on http://{host}:{port} "
          f"(its instance {deployment.home}); Ctrl-C or `xxgk ui --stop --warehouse {deployment.folder}` stops it", flush=True)
    (deployment.home / PID_FILE).write_text(str(os.getpid()))
    # A background job of a shell ignores SIGINT, its children inherit that, and Dagster maps
    # SIGTERM to SIGINT's handler: SIGINT's default is restored before exec so that Ctrl-C,
    # TERM and `xxgk ui --stop` all stop the UI with its daemon and code server.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.chdir(folder)
    os.execve(command[0], command, env)
    return 1  # not reached


def stop_ui(deployment: Deployment) -> int:
    """Stop the UI that `xxgk ui` (or `make ui`) started for this warehouse, and wait for it to go."""
    pid_file = deployment.home / PID_FILE
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        pid_file.unlink(missing_ok=True)
        print(f"no Dagster UI started by make ui is running for the warehouse {deployment.folder}")
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.5)
    if _alive(pid):
        print(f"the Dagster UI (pid {pid}) is still running after 60 s: kill -KILL {pid}", file=sys.stderr)
        return 1
    pid_file.unlink(missing_ok=True)
    print(f"Dagster UI stopped (pid {pid})")
    return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie (its parent has not reaped it yet) has ended
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def add_parsers(sub) -> None:
    p_ui = sub.add_parser("ui", help="the Dagster UI (dg dev) of a warehouse, on its own instance and settings")
    p_ui.add_argument("--warehouse", help=WAREHOUSE_HELP)
    p_ui.add_argument("--host", default="127.0.0.1")
    p_ui.add_argument("--port", type=int, default=3000)
    p_ui.add_argument("--stop", action="store_true", help="stop the UI started for this warehouse")
    p_home = sub.add_parser("home", help="print the warehouse's Dagster home (DAGSTER_HOME for Dagster's own commands), made if new")
    p_home.add_argument("--warehouse", help=WAREHOUSE_HELP)


def main(args: argparse.Namespace) -> int:
    import warnings

    warnings.filterwarnings("ignore")
    from pipelines.instance import BrokenHome

    try:
        deployment = deployment_of(args.warehouse)
        if args.command == "home":
            deployment = prepare(deployment)
            print(deployment.home)
            return 0
        if args.stop:
            return stop_ui(deployment)
        return start_ui(deployment, args.host, args.port)
    except (DeploymentError, BrokenHome) as error:
        print(f"xxgk: {error}", file=sys.stderr)
        return 1
