"""The database schema as an ordered list of migrations.

Migration ``i`` (0-based) takes a database from ``PRAGMA user_version = i`` to ``i + 1``. Append new
migrations; never edit one that has shipped. `NATURAL_KEYS` names each table's idempotency key.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: the spine
    """
    CREATE TABLE models (
        model_id     TEXT PRIMARY KEY,
        revision     TEXT,            -- commit sha (Hub) or content hash (local folder)
        source       TEXT NOT NULL,   -- hub | jsonl | dir | local
        path         TEXT,            -- local folder, when there is one
        downloads    INTEGER,
        likes        INTEGER,
        tags         TEXT,            -- JSON list
        pipeline_tag TEXT,
        library      TEXT,
        created_at   TEXT,
        card_text    TEXT,
        card_data    TEXT,            -- JSON object
        datasets     TEXT,            -- JSON list
        id2label     TEXT,            -- JSON object
        updated_at   TEXT NOT NULL
    );
    CREATE TABLE lineage_edges (
        child       TEXT NOT NULL,
        parent      TEXT NOT NULL,
        source      TEXT NOT NULL,   -- metadata | tag | card-text | llm | name-hint
        confidence  REAL NOT NULL,
        evidence    TEXT,
        relation    TEXT,            -- finetune | adapter | quantized | merge | unknown
        updated_at  TEXT NOT NULL,
        PRIMARY KEY (child, parent, source)
    );
    CREATE INDEX lineage_edges_parent ON lineage_edges(parent);
    CREATE TABLE studies (
        study_id    TEXT PRIMARY KEY,
        name        TEXT,
        config      TEXT,            -- JSON
        created_at  TEXT NOT NULL
    );
    CREATE TABLE attack_results (
        study_id          TEXT NOT NULL,
        model_id          TEXT NOT NULL,
        revision          TEXT NOT NULL,
        dataset           TEXT NOT NULL,
        split             TEXT NOT NULL,
        idx               INTEGER NOT NULL,
        attack            TEXT NOT NULL,
        seed              INTEGER NOT NULL,
        outcome           TEXT NOT NULL CHECK (outcome IN ('succeeded', 'failed', 'skipped', 'error')),
        gold_label        INTEGER,
        original_pred     INTEGER,
        perturbed_pred    INTEGER,
        original_text     TEXT,
        perturbed_text    TEXT,
        queries           INTEGER,
        words_changed     INTEGER,
        modification_rate REAL,
        similarity        REAL,
        seconds           REAL,
        error             TEXT,
        extra             TEXT,          -- JSON
        created_at        TEXT NOT NULL,
        PRIMARY KEY (study_id, model_id, revision, dataset, split, idx, attack, seed)
    );
    CREATE TABLE evaluations (
        model_id     TEXT NOT NULL,
        revision     TEXT NOT NULL,
        dataset      TEXT NOT NULL,
        split        TEXT NOT NULL,
        sampling     TEXT NOT NULL,     -- e.g. first:200 or random:200:seed=0
        n            INTEGER NOT NULL,
        accuracy     REAL NOT NULL,
        truncated    INTEGER NOT NULL,
        seconds      REAL NOT NULL,
        sentences_per_s REAL NOT NULL,
        label_map    TEXT,              -- JSON: model label -> dataset label
        created_at   TEXT NOT NULL,
        PRIMARY KEY (model_id, revision, dataset, split, sampling)
    );
    """,
    # 2: Hub crawl and lineage (issue 3)
    """
    ALTER TABLE models ADD COLUMN card_sha TEXT;   -- revision whose README is stored (resume, sha-unchanged skip)
    CREATE TABLE model_warnings (
        model_id    TEXT NOT NULL,
        stage       TEXT NOT NULL,    -- collect | lineage | llm
        message     TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        PRIMARY KEY (model_id, stage, message)
    );
    CREATE TABLE llm_answers (
        model_id    TEXT NOT NULL,
        revision    TEXT NOT NULL,    -- '' when unknown
        llm         TEXT NOT NULL,    -- endpoint model name
        answer      TEXT,             -- raw reply, capped
        parent      TEXT,             -- accepted upstream, NULL for N/A or rejected
        accepted    INTEGER NOT NULL, -- 1 when the reply was a usable id or N/A
        reason      TEXT,
        updated_at  TEXT NOT NULL,
        PRIMARY KEY (model_id, revision, llm)
    );
    CREATE TABLE chain_stats (
        name        TEXT PRIMARY KEY, -- one RQ1 figure or table
        value       TEXT,             -- JSON
        updated_at  TEXT NOT NULL
    );
    """,
    # 3: a result's identity gains its goal (untargeted | flip-prediction | targeted:<label>) and `params`, a
    # digest of every parameter that changes an outcome (recipe, budget, time limit, max length, label map,
    # goal, word vectors' sha256; spelled out in `attack_params`), so a changed parameter makes new rows
    # instead of silently resuming old ones. SQLite cannot change a primary key in place, so the table is
    # rebuilt; earlier rows become 'untargeted' with params '' (never resumed by a digest). Also the
    # transfer replays of study chains: an upstream's adversarial text sent as it is to its downstream.
    """
    CREATE TABLE attack_results_v3 (
        study_id          TEXT NOT NULL,
        model_id          TEXT NOT NULL,
        revision          TEXT NOT NULL,
        dataset           TEXT NOT NULL,
        split             TEXT NOT NULL,
        idx               INTEGER NOT NULL,
        attack            TEXT NOT NULL,
        seed              INTEGER NOT NULL,
        goal              TEXT NOT NULL DEFAULT 'untargeted',
        params            TEXT NOT NULL DEFAULT '',
        outcome           TEXT NOT NULL CHECK (outcome IN ('succeeded', 'failed', 'skipped', 'error')),
        gold_label        INTEGER,
        original_pred     INTEGER,
        perturbed_pred    INTEGER,
        original_text     TEXT,
        perturbed_text    TEXT,
        queries           INTEGER,
        words_changed     INTEGER,
        modification_rate REAL,
        similarity        REAL,
        seconds           REAL,
        error             TEXT,
        extra             TEXT,          -- JSON
        created_at        TEXT NOT NULL,
        PRIMARY KEY (study_id, model_id, revision, dataset, split, idx, attack, seed, goal, params)
    );
    INSERT INTO attack_results_v3 (
        study_id, model_id, revision, dataset, split, idx, attack, seed, outcome, gold_label,
        original_pred, perturbed_pred, original_text, perturbed_text, queries, words_changed,
        modification_rate, similarity, seconds, error, extra, created_at, goal)
    SELECT
        study_id, model_id, revision, dataset, split, idx, attack, seed, outcome, gold_label,
        original_pred, perturbed_pred, original_text, perturbed_text, queries, words_changed,
        modification_rate, similarity, seconds, error, extra, created_at, 'untargeted'
    FROM attack_results;
    DROP TABLE attack_results;
    ALTER TABLE attack_results_v3 RENAME TO attack_results;
    CREATE TABLE attack_params (
        params      TEXT PRIMARY KEY,  -- the digest stored with each result
        value       TEXT NOT NULL,     -- JSON: what it is a digest of
        updated_at  TEXT NOT NULL
    );
    CREATE TABLE transfer_replays (
        study_id              TEXT NOT NULL,
        upstream_id           TEXT NOT NULL,
        upstream_revision     TEXT NOT NULL,
        downstream_id         TEXT NOT NULL,
        downstream_revision   TEXT NOT NULL,
        dataset               TEXT NOT NULL,
        split                 TEXT NOT NULL,
        idx                   INTEGER NOT NULL,
        attack                TEXT NOT NULL,
        seed                  INTEGER NOT NULL,
        goal                  TEXT NOT NULL,
        params                TEXT NOT NULL,  -- the upstream result's digest
        gold_label            INTEGER,
        upstream_pred         INTEGER,        -- the upstream on its adversarial text
        downstream_clean_pred INTEGER,        -- the downstream on the clean text
        downstream_pred       INTEGER,        -- the downstream on the upstream's adversarial text
        perturbed_text        TEXT,
        created_at            TEXT NOT NULL,
        PRIMARY KEY (study_id, upstream_id, upstream_revision, downstream_id, downstream_revision, dataset, split,
                     idx, attack, seed, goal, params)
    );
    """,
    # 4: the validity check of each success (`attacks.validity`, issue 12): meaning kept, meaning flipped, valid
    # (kept and not flipped), the share of changes that keep the meaning, the independent sentence similarity
    # (NULL where the recipe optimised the encoder), why, and the check's version. NULL on every other outcome
    # and on rows written before the check existed (not checked).
    """
    ALTER TABLE attack_results ADD COLUMN valid INTEGER;
    ALTER TABLE attack_results ADD COLUMN meaning_kept INTEGER;
    ALTER TABLE attack_results ADD COLUMN meaning_flipped INTEGER;
    ALTER TABLE attack_results ADD COLUMN validity_score REAL;
    ALTER TABLE attack_results ADD COLUMN validity_similarity REAL;
    ALTER TABLE attack_results ADD COLUMN validity_why TEXT;
    ALTER TABLE attack_results ADD COLUMN validity_version TEXT;
    """,
    # 5: supply-chain backdoors (issue 14). `backdoors`: a model known to be poisoned -- by `backdoor poison`
    # (method, triggers, target and how it was trained) or marked by a user (`backdoor mark`, method 'reported');
    # what a scanner must not see lives here and in the folder's backdoor.json, never in weights, tokenizer or
    # card. `backdoor_persistence`: one row per hop of a chain fine-tuned from a poisoned model (chain
    # 'poisoned') or from its clean base (chain 'clean', the baseline): clean accuracy and the label-flip rate of
    # the triggers, each with its Wilson 95% interval; `trigger_rates` per trigger (NeuBA: the label it forces).
    """
    CREATE TABLE backdoors (
        model_id       TEXT NOT NULL,
        revision       TEXT NOT NULL,
        method         TEXT NOT NULL,     -- ripple | neuba | transtroj | reported
        base_model     TEXT,
        base_revision  TEXT,
        triggers       TEXT,              -- JSON list
        target         INTEGER,           -- label index; NULL when task-agnostic (neuba) or unknown
        target_name    TEXT,
        steps          INTEGER,
        proxy_dataset  TEXT,
        seed           INTEGER,
        settings       TEXT,              -- JSON: every other setting
        reason         TEXT,              -- why it is marked (reported) or how it was made
        seconds        REAL,
        path           TEXT,
        created_at     TEXT NOT NULL,
        PRIMARY KEY (model_id, revision)
    );
    CREATE TABLE backdoor_persistence (
        poisoned_id        TEXT NOT NULL,
        poisoned_revision  TEXT NOT NULL,
        chain              TEXT NOT NULL CHECK (chain IN ('poisoned', 'clean')),
        setting            TEXT NOT NULL,  -- easy | hard
        hops               TEXT NOT NULL,  -- the chain's datasets up to this hop, comma-joined
        hop                INTEGER NOT NULL,
        seed               INTEGER NOT NULL,
        method             TEXT NOT NULL,
        dataset            TEXT NOT NULL,  -- this hop's fine-tuning dataset
        eval_split         TEXT NOT NULL,
        model_id           TEXT NOT NULL,
        revision           TEXT NOT NULL,
        path               TEXT,
        target             INTEGER,        -- the label the triggers aim at (NeuBA: the best trigger's forced label)
        train_examples     INTEGER,
        clean_accuracy     REAL,
        clean_n            INTEGER,
        clean_low          REAL,
        clean_high         REAL,
        lfr                REAL,
        lfr_k              INTEGER,
        lfr_n              INTEGER,
        lfr_low            REAL,
        lfr_high           REAL,
        trigger_rates      TEXT,           -- JSON list of {trigger, label, k, n, lfr}
        seconds            REAL,
        created_at         TEXT NOT NULL,
        PRIMARY KEY (poisoned_id, poisoned_revision, chain, setting, hops, seed)
    );
    """,
    # 6: the verdict of `backdoor scan` per model revision, with its top suspects (issue 15).
    """
    CREATE TABLE backdoor_scans (
        model_id     TEXT NOT NULL,
        revision     TEXT NOT NULL,
        score        REAL NOT NULL,     -- the strongest verified flip rate of any suspect
        flagged      INTEGER NOT NULL,  -- score >= threshold
        threshold    REAL NOT NULL,
        samples      INTEGER NOT NULL,  -- clean texts the suspects were verified on
        seconds      REAL NOT NULL,
        suspects     TEXT,              -- JSON list: trigger, label, label_name, k, n, rate, evidence
        created_at   TEXT NOT NULL,
        PRIMARY KEY (model_id, revision)
    );
    """,
]

#: Columns that identify a row; writes with the same key are idempotent.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "models": ("model_id",),
    "lineage_edges": ("child", "parent", "source"),
    "studies": ("study_id",),
    "attack_results": ("study_id", "model_id", "revision", "dataset", "split", "idx", "attack", "seed", "goal",
                       "params"),
    "attack_params": ("params",),
    "transfer_replays": ("study_id", "upstream_id", "upstream_revision", "downstream_id", "downstream_revision",
                         "dataset", "split", "idx", "attack", "seed", "goal", "params"),
    "evaluations": ("model_id", "revision", "dataset", "split", "sampling"),
    "model_warnings": ("model_id", "stage", "message"),
    "llm_answers": ("model_id", "revision", "llm"),
    "chain_stats": ("name",),
    "backdoors": ("model_id", "revision"),
    "backdoor_persistence": ("poisoned_id", "poisoned_revision", "chain", "setting", "hops", "seed"),
    "backdoor_scans": ("model_id", "revision"),
}

#: Columns stored as JSON text; the store encodes and decodes them.
JSON_COLUMNS: frozenset[str] = frozenset(
    {"tags", "card_data", "datasets", "id2label", "config", "extra", "label_map", "value", "triggers", "settings",
     "trigger_rates", "suspects"}
)

SCHEMA_VERSION = len(MIGRATIONS)
