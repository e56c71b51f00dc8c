"""trackcheck: lint Hydra/OmegaConf configs and audit the MLflow Model Registry by one policy."""

__version__ = "0.1.0"
