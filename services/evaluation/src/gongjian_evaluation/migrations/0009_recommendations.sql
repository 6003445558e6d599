-- 推优入党: a person recommended to the Party by a mass organisation (a trade union, the youth
-- league or the women's federation), followed through 入党积极分子, 发展对象, 预备党员 and 正式党员,
-- each stage dated; or stopped with a reason. One live recommendation per person.
CREATE TABLE recommendation (
    id              uuid PRIMARY KEY,
    seq             bigserial UNIQUE,
    person_id       uuid NOT NULL,
    organization_id uuid NOT NULL,
    family          text NOT NULL
        CHECK (family IN ('TRADE_UNION', 'YOUTH_LEAGUE', 'WOMENS_FEDERATION')),
    area_code       text COLLATE "C" NOT NULL,   -- the recommending organisation's area
    stage           text NOT NULL DEFAULT 'RECOMMENDED'
        CHECK (stage IN ('RECOMMENDED', 'ACTIVIST', 'CANDIDATE', 'PROBATIONARY', 'FULL_MEMBER')),
    recommended_on  date NOT NULL,
    activist_on     date,
    candidate_on    date,
    probationary_on date,
    full_member_on  date,
    reason          text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    stopped_on      date,
    stop_reason     text CHECK (length(stop_reason) BETWEEN 1 AND 500),
    recommended_by  text NOT NULL,
    recommended_at  timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE UNIQUE INDEX recommendation_live ON recommendation (person_id) WHERE stopped_on IS NULL;
CREATE INDEX recommendation_area ON recommendation (area_code, seq DESC);
CREATE INDEX recommendation_organization ON recommendation (organization_id, seq DESC);
