"""Paths and environment variables chainaudit reads, in one place."""

from __future__ import annotations

import os
from pathlib import Path

from chainaudit.errors import ChainauditError

DEFAULT_DB = Path("chainaudit.db")
#: Per-sample limits of a default attack run, recorded with each outcome. On SST-2 the heaviest recipe (white-box
#: HotFlip) asks at most ~310 queries and a few seconds per sentence, so these bound only runaway samples (very
#: long texts, huge candidate sets) and change no ordinary outcome. `--budget` / `--time-limit` override them.
DEFAULT_QUERY_BUDGET = 10_000
DEFAULT_TIME_LIMIT_S = 300.0
DATA_DIR_ENV = "CHAINAUDIT_DATA_DIR"


# -- datasets --------------------------------------------------------------------------------------
def data_dir() -> Path | None:
    """The local dataset folder (`$CHAINAUDIT_DATA_DIR`, one `<name>/<name>.csv` each), if set."""
    value = os.environ.get(DATA_DIR_ENV)
    return Path(value).expanduser() if value else None


# -- the Hugging Face Hub --------------------------------------------------------------------------
HF_TOKEN_ENV = "HF_TOKEN"
HF_ENDPOINT_ENV = "HF_ENDPOINT"


def hf_token() -> str | None:
    """`$HF_TOKEN`, if set and not empty (else huggingface_hub falls back to the saved login)."""
    return os.environ.get(HF_TOKEN_ENV) or None


def hf_endpoint() -> str | None:
    """`$HF_ENDPOINT` (a Hub mirror), if set and not empty (else huggingface_hub's default)."""
    return os.environ.get(HF_ENDPOINT_ENV) or None


# -- the optional LLM upstream extractor (any OpenAI-compatible chat API) ----------------------------
LLM_ENDPOINT_ENV = "CHAINAUDIT_LLM_ENDPOINT"
LLM_MODEL_ENV = "CHAINAUDIT_LLM_MODEL"
#: Where the LLM's API key is looked for, in order.
LLM_API_KEY_ENVS = ("CHAINAUDIT_LLM_API_KEY", "OPENAI_API_KEY")
DEFAULT_LLM_MODEL = "gpt-4o-mini"


def llm_endpoint() -> str | None:
    """`$CHAINAUDIT_LLM_ENDPOINT` (a base URL such as http://127.0.0.1:8000/v1), if set and not empty."""
    return os.environ.get(LLM_ENDPOINT_ENV) or None


def llm_model() -> str:
    """`$CHAINAUDIT_LLM_MODEL`, else `DEFAULT_LLM_MODEL`."""
    return os.environ.get(LLM_MODEL_ENV) or DEFAULT_LLM_MODEL


def llm_api_key() -> str | None:
    """The first non-empty of `$CHAINAUDIT_LLM_API_KEY`, `$OPENAI_API_KEY`."""
    return next((os.environ[k] for k in LLM_API_KEY_ENVS if os.environ.get(k)), None)


# -- model inference -------------------------------------------------------------------------------
BACKEND_ENV = "CHAINAUDIT_BACKEND"
#: `auto`: ONNX Runtime for CPU forward passes when it is installed and the exported graph checks out, else PyTorch;
#: `torch`: always PyTorch; `onnx`: ONNX Runtime or a one-line error saying why not.
BACKENDS = ("auto", "torch", "onnx")


def inference_backend() -> str:
    """`$CHAINAUDIT_BACKEND` (one of `BACKENDS`), else "auto"; another value is a one-line error."""
    value = (os.environ.get(BACKEND_ENV) or "auto").strip().lower()
    if value not in BACKENDS:
        raise ChainauditError(f"${BACKEND_ENV}={value!r} is not a backend; use one of {', '.join(BACKENDS)}")
    return value


ORT_SPIN_ENV = "CHAINAUDIT_ORT_SPIN"


def onnx_threads_spin() -> bool:
    """`$CHAINAUDIT_ORT_SPIN=1`: let ONNX Runtime's threads busy-wait between runs (faster back-to-back calls, but
    they take the cores from the Python work in between); unset or 0: they sleep. Another value is an error."""
    value = (os.environ.get(ORT_SPIN_ENV) or "0").strip()
    if value not in ("0", "1"):
        raise ChainauditError(f"${ORT_SPIN_ENV}={value!r} must be 0 (threads sleep between runs) or 1 (they spin)")
    return value == "1"


# -- resources and attack models -----------------------------------------------------------------------
CACHE_ENV = "CHAINAUDIT_CACHE"
WORD_VECTORS_ENV = "CHAINAUDIT_WORD_VECTORS"
WORDNET_DIR_ENV = "CHAINAUDIT_WORDNET_DIR"
#: WordNet's own variable for its dict folder (searched before the system folders).
WNSEARCHDIR_ENV = "WNSEARCHDIR"
GAN_DIR_ENV = "CHAINAUDIT_GAN_DIR"
SCPN_DIR_ENV = "CHAINAUDIT_SCPN_DIR"
CORENLP_URL_ENV = "CHAINAUDIT_CORENLP_URL"


def _path(env: str) -> Path | None:
    value = os.environ.get(env)
    return Path(value).expanduser() if value else None


def cache_root() -> Path:
    """`$CHAINAUDIT_CACHE`, else `~/.cache/chainaudit` (not created here)."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "chainaudit").expanduser()


def word_vectors_path() -> Path | None:
    """The word-vector file named by `$CHAINAUDIT_WORD_VECTORS`, if set."""
    return _path(WORD_VECTORS_ENV)


def wordnet_dir() -> Path | None:
    """`$CHAINAUDIT_WORDNET_DIR`: the one WordNet 3.0 dict folder to use, if set."""
    return _path(WORDNET_DIR_ENV)


def wordnet_search_dir() -> Path | None:
    """`$WNSEARCHDIR`, if set."""
    value = os.environ.get(WNSEARCHDIR_ENV)
    return Path(value) if value else None


def gan_dir() -> Path | None:
    """`$CHAINAUDIT_GAN_DIR`: a GAN folder, or a folder of them by dataset, if set."""
    return _path(GAN_DIR_ENV)


def scpn_dir() -> Path | None:
    """`$CHAINAUDIT_SCPN_DIR`: the folder with the SCPN files, if set."""
    return _path(SCPN_DIR_ENV)


def corenlp_url() -> str | None:
    """`$CHAINAUDIT_CORENLP_URL` (a CoreNLP server for SCPN's input parses), if set and not empty."""
    return os.environ.get(CORENLP_URL_ENV) or None


def quiet_libraries() -> None:
    """Silence transformers' per-load reports and download/loading bars (chainaudit prints its own).

    Environment variables rather than calls, so commands that never load a model do not import transformers.
    """
    for name, value in (("TRANSFORMERS_VERBOSITY", "error"), ("HF_HUB_DISABLE_PROGRESS_BARS", "1"),
                        ("TOKENIZERS_PARALLELISM", "false"), ("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")):
        os.environ.setdefault(name, value)
