"""The GAN of "Generating Natural Adversarial Examples" (Zhao, Dua, Singh, ICLR 2018): an ARAE plus an inverter
(`model`, `vocab`), saved and found on disk (`store`), and the attack's search in its noise space (`search`).
Training lives in `chainaudit.zoo.gan_training` (`chainaudit resources train-gan`)."""

from chainaudit.attacks.gan.store import GanLoader, TrainedGan, find_gan, list_gans, load_gan, save_gan

__all__ = ["GanLoader", "TrainedGan", "find_gan", "list_gans", "load_gan", "save_gan"]
