-- The audit of personal data carries who acted (subject, roles, area), the request, and why the
-- row was written: an unmasked read, a look-up by ID number, a registration refused as a
-- duplicate (of a person, or of a unit's credit code), a refusal for too many look-ups.
ALTER TABLE personal_data_access
    ALTER COLUMN person_id DROP NOT NULL,
    ADD COLUMN roles text[] NOT NULL DEFAULT '{}',
    ADD COLUMN area text,
    ADD COLUMN request_id text,
    ADD COLUMN unit_id uuid REFERENCES unit (id),
    ADD COLUMN reason text NOT NULL DEFAULT 'UNMASKED_READ',
    ADD COLUMN detail text;
CREATE INDEX personal_data_access_actor ON personal_data_access (actor, read_at);

-- Who leads what, by person: the policy asks whether a person currently leads an organisation
-- the caller keeps.
CREATE INDEX leader_person ON leader (person_id) WHERE ended_on IS NULL;

-- Masks that cannot be undone, at rest too: no character of an ID number is kept in clear (its
-- last four would give the rest away; see domain/people.py), a phone keeps its last 4 digits.
UPDATE person SET id_number_masked = repeat('*', 18),
    phone_masked = CASE WHEN phone_masked IS NULL THEN NULL
                        ELSE repeat('*', length(phone_masked) - 4) || right(phone_masked, 4) END;
