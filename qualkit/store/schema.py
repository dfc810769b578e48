"""The database schema, one entry per version: migrations run in order on `user_version`."""

SCHEMA_VERSION = 3

_SCHEMA_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE participants (
    id TEXT PRIMARY KEY,
    attributes TEXT NOT NULL            -- JSON object: group, service, role, ...
);
CREATE TABLE transcripts (
    id TEXT PRIMARY KEY,
    file TEXT NOT NULL UNIQUE,          -- path relative to the project root
    content_hash TEXT NOT NULL,
    ingest_key TEXT NOT NULL,           -- hash of the settings that shaped its segments
    kind TEXT NOT NULL,
    date TEXT,
    metadata TEXT NOT NULL,             -- JSON front matter
    text TEXT NOT NULL,                 -- normalised text: all offsets index into it
    missing INTEGER NOT NULL DEFAULT 0, -- the file has gone from transcripts/ (kept, not dropped)
    ingested_at TEXT NOT NULL
);
CREATE TABLE turns (
    transcript_id TEXT NOT NULL REFERENCES transcripts(id),
    idx INTEGER NOT NULL,
    speaker TEXT NOT NULL,
    participant_id TEXT,                -- NULL for the interviewer
    is_interviewer INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    line INTEGER,
    timestamp TEXT,
    PRIMARY KEY (transcript_id, idx)
) WITHOUT ROWID;
CREATE TABLE segments (
    id INTEGER PRIMARY KEY,             -- stable: kept when re-ingest re-finds the text
    transcript_id TEXT NOT NULL REFERENCES transcripts(id),
    turn INTEGER,                       -- NULL when orphaned
    position INTEGER,                   -- order in the transcript, NULL when orphaned
    start INTEGER,
    end INTEGER,
    text TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    orphaned INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX segments_by_transcript ON segments (transcript_id, position);
CREATE INDEX segments_by_hash ON segments (text_hash);
CREATE TABLE codings (
    id INTEGER PRIMARY KEY,
    segment_id INTEGER NOT NULL REFERENCES segments(id),
    code_id TEXT NOT NULL,
    coder TEXT NOT NULL,
    created TEXT NOT NULL,
    span_start INTEGER,                 -- optional exact quote: offsets within the segment text
    span_end INTEGER,
    quote TEXT,
    memo TEXT,
    starred INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL DEFAULT 'manual',
    removed INTEGER NOT NULL DEFAULT 0  -- removal is an event, never a DELETE
);
CREATE UNIQUE INDEX codings_active ON codings (segment_id, code_id, coder) WHERE removed = 0;
CREATE INDEX codings_by_coder ON codings (coder, removed);
CREATE TABLE memos (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('segment', 'code', 'transcript', 'project')),
    target TEXT NOT NULL,
    coder TEXT NOT NULL,
    text TEXT NOT NULL,
    updated TEXT NOT NULL,
    UNIQUE (kind, target, coder)
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    coder TEXT NOT NULL,
    action TEXT NOT NULL,
    payload TEXT NOT NULL,              -- JSON
    state INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX events_by_coder ON events (coder, state);
CREATE TABLE transcript_done (
    transcript_id TEXT NOT NULL REFERENCES transcripts(id),
    coder TEXT NOT NULL,
    time TEXT NOT NULL,
    PRIMARY KEY (transcript_id, coder)
) WITHOUT ROWID;
CREATE TABLE embeddings (
    model_id TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,               -- float32, little endian
    PRIMARY KEY (model_id, text_hash)
) WITHOUT ROWID;
CREATE TABLE suggestion_log (
    id INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    coder TEXT NOT NULL,
    segment_id INTEGER NOT NULL,
    code_id TEXT NOT NULL,
    score REAL,
    rank INTEGER,
    accepted INTEGER NOT NULL
);
"""

# v2: a coder can mark a segment reviewed with nothing to code, so progress can reach 100%.
_SCHEMA_V2 = """
CREATE TABLE reviews (
    segment_id INTEGER NOT NULL REFERENCES segments(id),
    coder TEXT NOT NULL,
    time TEXT NOT NULL,
    PRIMARY KEY (segment_id, coder)
) WITHOUT ROWID;
"""

# v3: the embedding vectors move to their own file (.qualkit/cache.db, see embedding_cache):
# the store copies them there before this runs.
_SCHEMA_V3 = """
DROP TABLE embeddings;
"""

MIGRATIONS: dict[int, str] = {1: _SCHEMA_V1, 2: _SCHEMA_V2, 3: _SCHEMA_V3}
