"""Score the latest registered model on the hold-out set."""

import os

import mlflow

mlflow.set_tracking_uri(os.environ.get("MLFLOW_TRACKING_URI", "http://localhost:5000"))


def evaluate(model_name: str, alias: str = "staging") -> None:
    model = mlflow.pyfunc.load_model(f"models:/{model_name}@{alias}")
    print(model.metadata.run_id)


if __name__ == "__main__":
    evaluate("churn-model")
