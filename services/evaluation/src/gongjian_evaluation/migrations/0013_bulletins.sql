-- Bulletins (信息通报): an area's figures over a period, as the mutation computed them; the PDF
-- and the workbook behind their signed links are drawn from ``content`` (ids, codes, counts,
-- dates: no personal data).
CREATE TABLE bulletin (
    id            uuid PRIMARY KEY,
    area_code     text COLLATE "C" NOT NULL,
    period_from   date NOT NULL,
    period_to     date NOT NULL CHECK (period_to >= period_from),
    content       jsonb NOT NULL,
    generated_by  text NOT NULL,
    generated_at  timestamptz NOT NULL
);
CREATE INDEX bulletin_area ON bulletin (area_code, generated_at);
