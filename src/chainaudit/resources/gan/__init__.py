"""The GAN of "Generating Natural Adversarial Examples" (Zhao, Dua, Singh, ICLR 2018): an ARAE plus an inverter,
trained here on a dataset's sentences (`chainaudit resources train-gan`), saved, and found by the attack."""

from chainaudit.resources.gan.store import GanLoader, TrainedGan, find_gan, list_gans, load_gan, save_gan

__all__ = ["GanLoader", "TrainedGan", "find_gan", "list_gans", "load_gan", "save_gan"]
