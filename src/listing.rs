//! What every list shares: page windows, sort direction, and field errors in input.

/// Most records a page may hold (as Commerce Layer pages).
pub const MAX_PAGE_SIZE: i64 = 25;
/// Records on a page when the client does not say.
pub const DEFAULT_PAGE_SIZE: i64 = 10;

/// Which slice of a sorted list to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageWindow {
    /// Records to skip.
    pub offset: i64,
    /// Records to return.
    pub limit: i64,
}

/// One page of records, and whether more follow.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The records, in order.
    pub items: Vec<T>,
    /// Where this page starts in the whole list.
    pub offset: i64,
    /// True when records follow this page.
    pub has_next: bool,
}

impl PageWindow {
    /// The same window with one record more: reading it tells whether a next page exists.
    pub fn probe(self) -> PageWindow {
        PageWindow {
            limit: self.limit + 1,
            ..self
        }
    }

    /// Turns the records read with [`probe`](Self::probe) into this window's page.
    pub fn page<T>(self, mut items: Vec<T>) -> Page<T> {
        let has_next = items.len() as i64 > self.limit;
        items.truncate(self.limit.max(0) as usize);
        Page {
            items,
            offset: self.offset,
            has_next,
        }
    }
}

/// Sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Smallest first.
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

/// A rejected input value: where it is, and a stable key saying what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// A JSON pointer into the operation's arguments, such as `/input/email`.
    pub pointer: String,
    /// A stable key such as `blank`, `taken`, `invalid`.
    pub key: &'static str,
    /// A sentence for people.
    pub message: String,
}

impl FieldProblem {
    /// A problem at `pointer`.
    pub fn new(pointer: impl Into<String>, key: &'static str, message: impl Into<String>) -> Self {
        FieldProblem {
            pointer: pointer.into(),
            key,
            message: message.into(),
        }
    }
}

/// Builds the `LIKE` pattern that finds `needle` anywhere (or at the start), with the
/// wildcards in `needle` taken literally (escape character `\`).
pub fn like_pattern(needle: &str, anywhere: bool) -> String {
    let escaped = needle
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    if anywhere {
        format!("%{escaped}%")
    } else {
        format!("{escaped}%")
    }
}
