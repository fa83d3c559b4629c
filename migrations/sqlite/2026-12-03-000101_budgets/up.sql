-- Budgets: one per partnership per UK financial year (April to March,
-- written '2020-21'), the partners' contributions to it, its lines (income
-- or expenditure, with a planned amount) and the transactions booked on
-- them. Money is integer pence (bigint) everywhere: no floating point from
-- request to database. A closed year is locked: its closing reserve is
-- fixed, and its transactions are corrected by reversing entries.

CREATE TABLE budgets (
    id                     text PRIMARY KEY,
    partnership_id         text NOT NULL REFERENCES partnerships (id),
    financial_year         text NOT NULL CHECK (length(financial_year) = 7),
    status                 text NOT NULL CHECK (status IN ('open', 'closed')),
    published              boolean NOT NULL DEFAULT false,
    reserve_target_pence   bigint CHECK (reserve_target_pence >= 0),
    -- Null: carried from the previous year's closing reserve.
    opening_reserve_pence  bigint,
    -- Set when the year closes, never after.
    closing_reserve_pence  bigint,
    notes                  text,
    version                integer NOT NULL DEFAULT 1,
    created_at             text NOT NULL,
    updated_at             text NOT NULL,
    UNIQUE (partnership_id, financial_year),
    CHECK (status = 'closed' OR closing_reserve_pence IS NULL),
    CHECK (status = 'open' OR closing_reserve_pence IS NOT NULL)
);

CREATE TABLE budget_contributions (
    id               text PRIMARY KEY,
    budget_id        text NOT NULL REFERENCES budgets (id),
    partnership_id   text NOT NULL REFERENCES partnerships (id),
    organisation_id  text NOT NULL REFERENCES organisations (id),
    amount_pence     bigint NOT NULL CHECK (amount_pence >= 0),
    status           text NOT NULL CHECK (status IN ('pledged', 'invoiced', 'received')),
    note             text,
    version          integer NOT NULL DEFAULT 1,
    created_at       text NOT NULL,
    updated_at       text NOT NULL,
    UNIQUE (budget_id, organisation_id)
);
CREATE INDEX budget_contributions_organisation ON budget_contributions (organisation_id);

CREATE TABLE budget_lines (
    id              text PRIMARY KEY,
    budget_id       text NOT NULL REFERENCES budgets (id),
    partnership_id  text NOT NULL REFERENCES partnerships (id),
    name            text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('income', 'expenditure')),
    planned_pence   bigint NOT NULL CHECK (planned_pence >= 0),
    description     text,
    version         integer NOT NULL DEFAULT 1,
    created_at      text NOT NULL,
    updated_at      text NOT NULL,
    UNIQUE (budget_id, name)
);

CREATE TABLE budget_transactions (
    id              text PRIMARY KEY,
    budget_id       text NOT NULL REFERENCES budgets (id),
    partnership_id  text NOT NULL REFERENCES partnerships (id),
    line_id         text NOT NULL REFERENCES budget_lines (id),
    date            text NOT NULL,
    amount_pence    bigint NOT NULL CHECK (amount_pence <> 0),
    description     text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('commitment', 'payment')),
    from_reserve    boolean NOT NULL DEFAULT false,
    reference       text,
    -- A reversing entry names the transaction it reverses, once.
    reverses_id     text UNIQUE REFERENCES budget_transactions (id),
    recorded_by     text NOT NULL,
    version         integer NOT NULL DEFAULT 1,
    created_at      text NOT NULL,
    updated_at      text NOT NULL
);
CREATE INDEX budget_transactions_ledger ON budget_transactions (budget_id, date, id);
CREATE INDEX budget_transactions_line ON budget_transactions (line_id);
