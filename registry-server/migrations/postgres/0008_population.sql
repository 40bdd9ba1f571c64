-- Population denominators (issue #13), as imported from the statistics bureau's CSV file
-- (domain::stats::population): one row per year, area, sex and five-year age group.
-- Never edit once applied: add a new migration. Same columns as ../sqlite/0008_population.sql.
--   age_group   0 for 0-4 ... 17 for 85+
--   population  mid-year population (person-years of that calendar year)
CREATE TABLE population (
    year        BIGINT NOT NULL,
    area        TEXT NOT NULL,
    sex         TEXT NOT NULL CHECK (sex IN ('male', 'female')),
    age_group   BIGINT NOT NULL CHECK (age_group BETWEEN 0 AND 17),
    population  BIGINT NOT NULL CHECK (population >= 0),
    PRIMARY KEY (year, area, sex, age_group)
);

-- One row per year imported: an import of a year replaces all of that year's rows and moves
-- its version on (audited as population.import).
--   sha256  hex SHA-256 of the file the year was last imported from
CREATE TABLE population_imports (
    year         BIGINT PRIMARY KEY,
    version      BIGINT NOT NULL,
    cells        BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    imported_at  BIGINT NOT NULL,
    imported_by  TEXT NOT NULL
);
