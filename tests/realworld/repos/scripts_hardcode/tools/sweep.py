"""Grid search over learning rates, one MLflow run per setting."""

import itertools

import mlflow
from mlflow import set_tracking_uri as stu

TRACKING = "sqlite:///mlflow.db"
LEARNING_RATES = [0.01, 0.05, 0.1]
DEPTHS = [3, 5]


def sweep() -> None:
    stu(TRACKING)
    mlflow.set_experiment("churn-sweep")
    for lr, depth in itertools.product(LEARNING_RATES, DEPTHS):
        with mlflow.start_run(run_name=f"lr={lr},depth={depth}"):
            mlflow.log_params({"learning_rate": lr, "max_depth": depth})


if __name__ == "__main__":
    sweep()
