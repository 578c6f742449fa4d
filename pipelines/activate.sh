# Appended to .venv/bin/activate by `make setup`. `dagster asset materialize` (superseded by
# `dg launch`) reads neither pyproject.toml nor workspace.yaml, only -m or DAGSTER_MODULE_NAME:
# in a shell where .venv is activated, Dagster's own commands load the xxgk code location
# with no flag. The instance comes from .env in the folder the command runs in. deactivate
# unsets the variable again (when activate set it).
if [ -z "${DAGSTER_MODULE_NAME:-}" ]; then
    DAGSTER_MODULE_NAME=pipelines.definitions
    export DAGSTER_MODULE_NAME
    eval "_xxgk_venv_$(declare -f deactivate)"
    deactivate () {
        unset DAGSTER_MODULE_NAME
        _xxgk_venv_deactivate "$@"
        unset -f _xxgk_venv_deactivate
    }
fi
