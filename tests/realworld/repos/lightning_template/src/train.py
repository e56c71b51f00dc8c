"""Train a model from the Hydra config in configs/ (the lightning-hydra-template layout)."""

import hydra
import lightning as L
from omegaconf import DictConfig


@hydra.main(version_base="1.3", config_path="../configs", config_name="train.yaml")
def main(cfg: DictConfig) -> float | None:
    """Instantiate the datamodule, model, loggers and trainer the config names, then fit."""
    if cfg.get("seed"):
        L.seed_everything(cfg.seed, workers=True)
    datamodule = hydra.utils.instantiate(cfg.data)
    model = hydra.utils.instantiate(cfg.model)
    loggers = [hydra.utils.instantiate(lg) for lg in (cfg.get("logger") or {}).values()]
    trainer = hydra.utils.instantiate(cfg.trainer, logger=loggers)
    if cfg.get("train"):
        trainer.fit(model=model, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"))
    metric = trainer.callback_metrics.get("val/acc_best")
    return None if metric is None else float(metric)


if __name__ == "__main__":
    main()
