-- Rows the broker keeps refusing are parked (failed_at) instead of stopping the whole outbox;
-- only later rows with the same topic and key wait behind them, so per-key order holds.
ALTER TABLE outbox ADD COLUMN failed_at timestamptz;
CREATE INDEX outbox_parked ON outbox (topic, key, id)
    WHERE failed_at IS NOT NULL AND published_at IS NULL;
-- Retention deletes published rows in batches, oldest first.
CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;
-- Republish after a broker lost its data: rows by creation time.
CREATE INDEX outbox_created ON outbox (created_at);

CREATE INDEX inbox_handled_at ON inbox (handled_at);

-- The version of each subject (aggregate) this service has published: bumped in the same
-- transaction as the change, so per subject the versions follow the commit order.
CREATE TABLE aggregate_version (
    subject text COLLATE "C" PRIMARY KEY,
    version bigint NOT NULL
);

-- The newest version of each subject a consumer has applied: an older or equal one is ignored.
-- Never deleted by retention: it is what keeps a replay from resurrecting old state.
CREATE TABLE consumer_version (
    consumer text NOT NULL,
    subject  text COLLATE "C" NOT NULL,
    version  bigint NOT NULL,
    PRIMARY KEY (consumer, subject)
);

-- What happened to each dead-lettered message an operator replayed.
CREATE TABLE dlq_replay (
    consumer    text NOT NULL,
    topic       text NOT NULL,
    part        integer NOT NULL,
    msg_offset  bigint NOT NULL,
    event_id    text,
    outcome     text NOT NULL,
    detail      text,
    replayed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, topic, part, msg_offset)
);
