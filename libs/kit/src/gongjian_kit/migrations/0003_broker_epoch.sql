-- The broker incarnation each consumer's Kafka offsets belong to. A broker that lost its data
-- (a memory-only broker restarted, a cluster rebuilt) has a new epoch: the consumer then re-reads
-- its topics from the start (the inbox and the version check drop what it had applied) instead of
-- trusting offsets that mean nothing there.
CREATE TABLE consumer_epoch (
    consumer text PRIMARY KEY,
    epoch    text NOT NULL,
    seen_at  timestamptz NOT NULL DEFAULT now()
);
