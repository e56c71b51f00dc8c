#!/usr/bin/env bash
# Full training run, logged to the team's tracking server.
set -euo pipefail
python train.py mlflow.tracking_uri=https://mlflow.corp.example.com "$@"
