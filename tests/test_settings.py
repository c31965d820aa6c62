"""Every environment variable chainaudit reads goes through `settings`."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainaudit import settings


def test_accessors_read_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("HF_TOKEN", "HF_ENDPOINT", "CHAINAUDIT_LLM_ENDPOINT", "CHAINAUDIT_LLM_MODEL",
                 "CHAINAUDIT_LLM_API_KEY", "OPENAI_API_KEY", "CHAINAUDIT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    assert (settings.hf_token(), settings.hf_endpoint(), settings.llm_endpoint(), settings.llm_api_key(),
            settings.data_dir()) == (None, None, None, None, None)
    assert settings.llm_model() == settings.DEFAULT_LLM_MODEL
    monkeypatch.setenv("HF_TOKEN", "")  # empty means unset
    assert settings.hf_token() is None
    monkeypatch.setenv("HF_TOKEN", "hf_x")
    monkeypatch.setenv("HF_ENDPOINT", "https://mirror.example")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    assert settings.llm_api_key() == "sk-openai"
    monkeypatch.setenv("CHAINAUDIT_LLM_API_KEY", "sk-ours")  # ours first
    monkeypatch.setenv("CHAINAUDIT_LLM_MODEL", "qwen")
    monkeypatch.setenv("CHAINAUDIT_DATA_DIR", str(tmp_path))
    assert (settings.hf_token(), settings.hf_endpoint(), settings.llm_api_key(), settings.llm_model()) == (
        "hf_x", "https://mirror.example", "sk-ours", "qwen")
    assert settings.data_dir() == tmp_path


def test_llm_extractor_takes_its_key_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from chainaudit.lineage.llm import LLMExtractor

    monkeypatch.delenv("CHAINAUDIT_LLM_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    assert LLMExtractor("http://127.0.0.1:9/v1", "m").api_key == "sk-openai"
    assert LLMExtractor("http://127.0.0.1:9/v1", "m", api_key="given").api_key == "given"
