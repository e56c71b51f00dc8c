"""Train the churn model; MLflow reads MLFLOW_TRACKING_URI from the environment."""

import hydra
import mlflow
from omegaconf import DictConfig, OmegaConf


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def main(cfg: DictConfig) -> None:
    mlflow.set_experiment(cfg.mlflow.experiment_name)
    with mlflow.start_run(run_name=cfg.mlflow.run_name, tags=dict(cfg.mlflow.tags)):
        mlflow.log_params(OmegaConf.to_container(cfg.model, resolve=True))


if __name__ == "__main__":
    main()
