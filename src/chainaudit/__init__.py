"""chainaudit: audit text classifiers and their Hugging Face fine-tuning chains."""

__version__ = "0.1.0"
