"""Register the best run of an experiment as a new version of the churn model."""

import os
import sys

import mlflow
from mlflow import MlflowClient


def main(run_id: str) -> None:
    mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
    client = MlflowClient()
    version = mlflow.register_model(f"runs:/{run_id}/model", "churn-model")
    client.set_registered_model_alias("churn-model", "dev", version.version)


if __name__ == "__main__":
    main(sys.argv[1])
