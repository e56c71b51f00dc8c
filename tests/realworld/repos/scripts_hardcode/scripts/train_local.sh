#!/usr/bin/env bash
# Debug a run against a local server started with `mlflow ui --port 5000`.
set -euo pipefail
python train.py mlflow.tracking_uri=http://127.0.0.1:5000 model.params.n_estimators=10 "$@"
