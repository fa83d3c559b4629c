//! A year's figures from its lines, transactions and contributions, as a
//! plain function: per line and in total, planned, committed and paid
//! apart, the variance, and the reserve from opening to closing against
//! its target. Every sum is exact ([`Sum`]) and checked back into pence.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::money::Sum;
use super::rules::{ContributionStatus, LineKind, TransactionKind};
use crate::db::Id;
use crate::error::ApiError;

crate::text_enum! {
    /// Where the opening reserve comes from: set on the year (`explicit`),
    /// the previous year's closing reserve (`carried`), or nothing (`none`:
    /// no previous year, so 0).
    pub enum OpeningBasis {
        Explicit => "explicit",
        Carried => "carried",
        None => "none",
    }
}

crate::text_enum! {
    /// `running`: the closing reserve as the year's figures stand (an open
    /// year); `fixed`: the closing reserve fixed when the year closed.
    pub enum ClosingBasis {
        Running => "running",
        Fixed => "fixed",
    }
}

/// A line as the figures need it.
#[derive(Debug, Clone)]
pub struct LineInput {
    pub id: Id,
    pub name: String,
    pub kind: LineKind,
    pub planned_pence: i64,
}

/// A transaction as the figures need it.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub line_id: Id,
    pub kind: TransactionKind,
    pub from_reserve: bool,
    pub amount_pence: i64,
}

/// The figures of one line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LineFigures {
    pub line_id: Id,
    pub name: String,
    pub kind: LineKind,
    pub planned_pence: i64,
    /// Commitments: ordered or promised, not yet paid.
    pub committed_pence: i64,
    /// Payments (on an income line: money received).
    pub paid_pence: i64,
    /// Committed and paid.
    pub actual_pence: i64,
    /// Favourable when positive: for expenditure planned less actual (an
    /// underspend), for income actual less planned.
    pub variance_pence: i64,
    /// Of the actual, what was paid from the reserve.
    pub from_reserve_pence: i64,
}

/// The figures of all lines of one kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Totals {
    pub planned_pence: i64,
    pub committed_pence: i64,
    pub paid_pence: i64,
    pub actual_pence: i64,
    /// Favourable when positive, as for a line.
    pub variance_pence: i64,
    pub from_reserve_pence: i64,
}

/// The partners' contributions to the year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ContributionTotals {
    #[schema(minimum = 0)]
    pub count: i64,
    /// Every contribution, whatever its status: what the partners pledged.
    pub pledged_pence: i64,
    /// Invoiced or received.
    pub invoiced_pence: i64,
    pub received_pence: i64,
    /// Pledged and not yet received.
    pub outstanding_pence: i64,
}

/// The reserve through the year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Reserve {
    pub opening_pence: i64,
    pub opening_basis: OpeningBasis,
    /// Income (contributions received and income lines' actual) less
    /// expenditure's actual.
    pub movement_pence: i64,
    /// Opening plus movement; once the year is closed, the value fixed then.
    pub closing_pence: i64,
    pub closing_basis: ClosingBasis,
    /// For a closed year, what its entries booked since closing (reversals)
    /// come to: opening plus movement less the fixed closing reserve. 0 for
    /// an open year.
    pub adjustments_after_close_pence: i64,
    /// Expenditure paid from the reserve this year (part of the movement).
    pub drawn_pence: i64,
    pub target_pence: Option<i64>,
    /// The target less the closing reserve: what is still to be put by
    /// (negative when the reserve is above its target); null without a target.
    pub gap_to_target_pence: Option<i64>,
}

/// Everything the year's figures are made of.
pub struct YearInput<'a> {
    pub lines: &'a [LineInput],
    pub entries: &'a [Entry],
    pub contributions: &'a [(i64, ContributionStatus)],
    pub opening: (i64, OpeningBasis),
    /// The closing reserve fixed at close; none for an open year.
    pub fixed_closing: Option<i64>,
    pub target: Option<i64>,
}

/// The year's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct YearFigures {
    pub contributions: ContributionTotals,
    pub lines: Vec<LineFigures>,
    pub income: Totals,
    pub expenditure: Totals,
    /// Contributions pledged and income lines planned.
    pub total_income_planned_pence: i64,
    /// Contributions received and income lines' actual.
    pub total_income_actual_pence: i64,
    pub reserve: Reserve,
}

#[derive(Default, Clone, Copy)]
struct Acc {
    planned: Sum,
    committed: Sum,
    paid: Sum,
    from_reserve: Sum,
}

impl Acc {
    fn actual(self) -> Sum {
        self.committed.plus(self.paid)
    }

    fn variance(self, kind: LineKind) -> Sum {
        match kind {
            LineKind::Income => self.actual().minus(self.planned),
            LineKind::Expenditure => self.planned.minus(self.actual()),
        }
    }

    fn plus(self, other: Acc) -> Acc {
        Acc {
            planned: self.planned.plus(other.planned),
            committed: self.committed.plus(other.committed),
            paid: self.paid.plus(other.paid),
            from_reserve: self.from_reserve.plus(other.from_reserve),
        }
    }

    fn totals(self, kind: LineKind) -> Result<Totals, ApiError> {
        Ok(Totals {
            planned_pence: self.planned.pence("a planned total")?,
            committed_pence: self.committed.pence("a committed total")?,
            paid_pence: self.paid.pence("a paid total")?,
            actual_pence: self.actual().pence("an actual total")?,
            variance_pence: self.variance(kind).pence("a variance")?,
            from_reserve_pence: self.from_reserve.pence("a total from reserve")?,
        })
    }
}

/// The year's figures.
pub fn year(input: YearInput<'_>) -> Result<YearFigures, ApiError> {
    let mut per_line: Vec<Acc> = input
        .lines
        .iter()
        .map(|l| Acc {
            planned: Sum::of(l.planned_pence),
            ..Acc::default()
        })
        .collect();
    let index: std::collections::HashMap<Id, usize> = input
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| (l.id, i))
        .collect();
    for entry in input.entries {
        let Some(&i) = index.get(&entry.line_id) else {
            return Err(ApiError::internal("a transaction names a line of its year"));
        };
        let acc = &mut per_line[i];
        match entry.kind {
            TransactionKind::Commitment => acc.committed.add(entry.amount_pence),
            TransactionKind::Payment => acc.paid.add(entry.amount_pence),
        }
        if entry.from_reserve {
            acc.from_reserve.add(entry.amount_pence);
        }
    }
    let (mut income, mut expenditure) = (Acc::default(), Acc::default());
    let mut lines = Vec::with_capacity(input.lines.len());
    for (line, acc) in input.lines.iter().zip(&per_line) {
        match line.kind {
            LineKind::Income => income = income.plus(*acc),
            LineKind::Expenditure => expenditure = expenditure.plus(*acc),
        }
        lines.push(LineFigures {
            line_id: line.id,
            name: line.name.clone(),
            kind: line.kind,
            planned_pence: line.planned_pence,
            committed_pence: acc.committed.pence("a line's commitments")?,
            paid_pence: acc.paid.pence("a line's payments")?,
            actual_pence: acc.actual().pence("a line's actual")?,
            variance_pence: acc.variance(line.kind).pence("a line's variance")?,
            from_reserve_pence: acc.from_reserve.pence("a line's spend from reserve")?,
        });
    }
    let pledged: Sum = input.contributions.iter().map(|c| c.0).sum();
    let invoiced: Sum = input
        .contributions
        .iter()
        .filter(|c| c.1 != ContributionStatus::Pledged)
        .map(|c| c.0)
        .sum();
    let received: Sum = input
        .contributions
        .iter()
        .filter(|c| c.1 == ContributionStatus::Received)
        .map(|c| c.0)
        .sum();
    let income_actual = received.plus(income.actual());
    let movement = income_actual.minus(expenditure.actual());
    let (opening, opening_basis) = input.opening;
    let running = Sum::of(opening).plus(movement);
    let (closing, closing_basis) = match input.fixed_closing {
        Some(fixed) => (Sum::of(fixed), ClosingBasis::Fixed),
        None => (running, ClosingBasis::Running),
    };
    let gap = input
        .target
        .map(|t| Sum::of(t).minus(closing).pence("the gap to the target"))
        .transpose()?;
    Ok(YearFigures {
        contributions: ContributionTotals {
            count: i64::try_from(input.contributions.len()).unwrap_or(i64::MAX),
            pledged_pence: pledged.pence("the contributions pledged")?,
            invoiced_pence: invoiced.pence("the contributions invoiced")?,
            received_pence: received.pence("the contributions received")?,
            outstanding_pence: pledged
                .minus(received)
                .pence("the contributions outstanding")?,
        },
        lines,
        income: income.totals(LineKind::Income)?,
        expenditure: expenditure.totals(LineKind::Expenditure)?,
        total_income_planned_pence: pledged.plus(income.planned).pence("the income planned")?,
        total_income_actual_pence: income_actual.pence("the income")?,
        reserve: Reserve {
            opening_pence: opening,
            opening_basis,
            movement_pence: movement.pence("the movement")?,
            closing_pence: closing.pence("the closing reserve")?,
            closing_basis,
            adjustments_after_close_pence: running
                .minus(closing)
                .pence("the adjustments after close")?,
            drawn_pence: expenditure.from_reserve.pence("the spend from reserve")?,
            target_pence: input.target,
            gap_to_target_pence: gap,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(name: &str, kind: LineKind, planned: i64) -> LineInput {
        LineInput {
            id: Id::new(),
            name: name.to_owned(),
            kind,
            planned_pence: planned,
        }
    }

    fn entry(line: &LineInput, kind: TransactionKind, reserve: bool, pence: i64) -> Entry {
        Entry {
            line_id: line.id,
            kind,
            from_reserve: reserve,
            amount_pence: pence,
        }
    }

    #[test]
    fn a_year_to_the_penny() {
        use ContributionStatus::*;
        use TransactionKind::*;
        let home_start = line("Home Start contribution", LineKind::Income, 500_000);
        let training = line("Multi-agency training", LineKind::Expenditure, 1_500_000);
        let nspcc = line("NSPCC Support Package", LineKind::Expenditure, 0);
        let lines = [home_start.clone(), training.clone(), nspcc.clone()];
        let entries = [
            entry(&home_start, Payment, false, 500_000),
            entry(&training, Payment, false, 1_234_567),
            entry(&training, Commitment, false, 100_001),
            entry(&nspcc, Payment, true, 850_000),
        ];
        let contributions = [
            (4_500_000, Received),
            (3_000_000, Invoiced),
            (2_000_033, Pledged),
        ];
        let figures = year(YearInput {
            lines: &lines,
            entries: &entries,
            contributions: &contributions,
            opening: (4_000_000, OpeningBasis::Carried),
            fixed_closing: None,
            target: Some(6_000_000),
        })
        .unwrap();
        assert_eq!(figures.contributions.pledged_pence, 9_500_033);
        assert_eq!(figures.contributions.invoiced_pence, 7_500_000);
        assert_eq!(figures.contributions.outstanding_pence, 5_000_033);
        assert_eq!(figures.lines[1].actual_pence, 1_334_568);
        assert_eq!(figures.lines[1].variance_pence, 165_432);
        assert_eq!(figures.lines[2].variance_pence, -850_000);
        assert_eq!(figures.expenditure.actual_pence, 2_184_568);
        assert_eq!(figures.expenditure.from_reserve_pence, 850_000);
        assert_eq!(figures.total_income_actual_pence, 5_000_000);
        assert_eq!(figures.total_income_planned_pence, 10_000_033);
        let reserve = &figures.reserve;
        assert_eq!(reserve.movement_pence, 5_000_000 - 2_184_568);
        assert_eq!(reserve.closing_pence, 4_000_000 + 2_815_432);
        assert_eq!(reserve.gap_to_target_pence, Some(6_000_000 - 6_815_432));
        assert_eq!(reserve.drawn_pence, 850_000);
        assert_eq!(reserve.closing_basis, ClosingBasis::Running);
    }

    #[test]
    fn a_closed_year_keeps_its_closing_reserve() {
        let training = line("Training", LineKind::Expenditure, 100);
        let reversal = [
            entry(&training, TransactionKind::Payment, false, 40),
            entry(&training, TransactionKind::Payment, false, -40),
        ];
        let figures = year(YearInput {
            lines: std::slice::from_ref(&training),
            entries: &reversal[1..],
            contributions: &[],
            opening: (1_000, OpeningBasis::Explicit),
            fixed_closing: Some(960),
            target: None,
        })
        .unwrap();
        assert_eq!(figures.reserve.closing_pence, 960);
        assert_eq!(figures.reserve.closing_basis, ClosingBasis::Fixed);
        assert_eq!(figures.reserve.adjustments_after_close_pence, 1_040 - 960);
        assert_eq!(figures.reserve.gap_to_target_pence, None);
    }

    #[test]
    fn totals_beyond_i64_are_refused_not_wrapped() {
        let big = line("Big", LineKind::Income, 0);
        let entries = [
            entry(&big, TransactionKind::Payment, false, i64::MAX),
            entry(&big, TransactionKind::Payment, false, i64::MAX),
        ];
        let figures = year(YearInput {
            lines: std::slice::from_ref(&big),
            entries: &entries,
            contributions: &[],
            opening: (0, OpeningBasis::None),
            fixed_closing: None,
            target: None,
        });
        assert!(matches!(figures, Err(ApiError::Conflict(_))));
    }
}
