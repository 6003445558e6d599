-- Tell listeners when a consumer's transaction commits (NOTIFY is delivered on commit): its
-- effects and its inbox rows become visible together, so a response cache that keeps figures the
-- consumers move drops them the moment they move (gongjian_kit.response_cache).
CREATE FUNCTION inbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gongjian_inbox', '');
    RETURN NULL;
END $$;
CREATE TRIGGER inbox_notify AFTER INSERT ON inbox
    FOR EACH STATEMENT EXECUTE FUNCTION inbox_notify();
