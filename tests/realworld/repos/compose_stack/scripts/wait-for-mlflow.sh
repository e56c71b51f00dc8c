#!/usr/bin/env sh
# Block until the tracking server answers; used by CI before the smoke test.
set -eu
until curl -sf "${MLFLOW_TRACKING_URI:-http://localhost:5000}/health" > /dev/null; do
  echo "waiting for MLflow at ${MLFLOW_TRACKING_URI:-http://localhost:5000} ..."
  sleep 2
done
