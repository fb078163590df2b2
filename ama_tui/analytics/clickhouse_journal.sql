-- ama-tui journal lines in ClickHouse (`ama-tui export --to clickhouse URL`): one row per valid
-- line of an actions.jsonl, from any number of hosts and markets.
--
-- Re-export is idempotent. A row's identity is (runId, ts, trader, action, txHash) and, since
-- lines without a transaction (SKIP, ERROR, dry runs) can share those in one millisecond, the
-- line's own SHA-256 and its occurrence (the n-th copy of that exact line in its journal).
-- The exporter inserts only the keys the table does not hold yet; ReplacingMergeTree collapses
-- any duplicate two exporters racing could still leave, and queries read with FINAL.
CREATE TABLE IF NOT EXISTS ama_journal
(
    runId String,
    ts Int64 COMMENT 'unix milliseconds, as in the journal',
    trader String COMMENT 'as written (checksum case); unknown when the line names no wallet',
    action LowCardinality(String),
    txHash String COMMENT 'empty when the line has none',
    lineHash FixedString(64) COMMENT 'SHA-256 of the line text, hex',
    occurrence UInt32,
    chainId Int64,
    orderBook String,
    marketIdBytes32 Nullable(String),
    nickname Nullable(String),
    role Nullable(String),
    params Nullable(String) COMMENT 'the params object as JSON text',
    error Nullable(String),
    line String COMMENT 'the journal line exactly as written',
    source String COMMENT 'the journal file it was exported from',
    lineNo UInt64,
    exportedAt DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(exportedAt)
ORDER BY (runId, ts, trader, action, txHash, lineHash, occurrence)
