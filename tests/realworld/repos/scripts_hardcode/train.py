"""Train the churn model and log the run to MLflow."""

import hydra
import mlflow
from omegaconf import DictConfig, OmegaConf
from sklearn.datasets import make_classification
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.model_selection import train_test_split


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def main(cfg: DictConfig) -> float:
    mlflow.set_tracking_uri("file:./mlruns")
    mlflow.set_experiment(cfg.mlflow.experiment_name)
    x, y = make_classification(n_samples=2_000, random_state=cfg.seed)
    x_train, x_test, y_train, y_test = train_test_split(x, y, random_state=cfg.seed)
    with mlflow.start_run(run_name=cfg.mlflow.run_name):
        mlflow.log_params(OmegaConf.to_container(cfg.model.params))
        model = GradientBoostingClassifier(**cfg.model.params).fit(x_train, y_train)
        score = float(model.score(x_test, y_test))
        mlflow.log_metric("accuracy", score)
    return score


if __name__ == "__main__":
    main()
