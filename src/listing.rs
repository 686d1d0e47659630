//! What every list shares: page windows, sort direction, and field errors in input.

/// Most records a page may hold (as Commerce Layer pages).
pub const MAX_PAGE_SIZE: i64 = 25;
/// Records on a page when the client does not say.
pub const DEFAULT_PAGE_SIZE: i64 = 10;

/// Which slice of a sorted list to read: the records after a key, a page's worth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageWindow {
    /// The key of the record the page follows (none: the list's start).
    pub after: Option<Keyset>,
    /// Records to return.
    pub limit: i64,
}

/// Where a record stands in a sorted list: its sort field's value and its id, which
/// breaks ties. A page after a key is read with `(field, id) > (value, id)` (`<` when
/// descending), so it costs the same wherever in the list it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyset {
    /// The sort field's value.
    pub value: SortValue,
    /// The record's id.
    pub id: String,
}

/// The value of a sort field in a [`Keyset`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortValue {
    /// The sort is by id: the id is the whole key.
    Id,
    /// A text field; none when the field is null.
    Text(Option<String>),
    /// A time field.
    Time(chrono::NaiveDateTime),
}

/// The kind of value a sort field holds, which a cursor's value must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKind {
    /// Sorted by id alone.
    Id,
    /// A text field that is never null.
    Text,
    /// A text field that may be null: nulls come last ascending, first descending.
    NullableText,
    /// A time field.
    Time,
}

/// One page of records, and whether more follow.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The records, in order.
    pub items: Vec<T>,
    /// True when the page was read after a cursor (records may come before it).
    pub has_previous: bool,
    /// True when records follow this page.
    pub has_next: bool,
}

impl PageWindow {
    /// The same window with one record more: reading it tells whether a next page exists.
    pub fn probe(&self) -> PageWindow {
        PageWindow {
            after: self.after.clone(),
            limit: self.limit + 1,
        }
    }

    /// Turns the records read with [`probe`](Self::probe) into this window's page.
    pub fn page<T>(&self, mut items: Vec<T>) -> Page<T> {
        let has_next = items.len() as i64 > self.limit;
        items.truncate(self.limit.max(0) as usize);
        Page {
            items,
            has_previous: self.after.is_some(),
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

/// The scope of a list's sort order, `list/field/direction`: what a cursor names, so that
/// one from another list or order is refused.
pub fn scope(list: &str, field: &impl std::fmt::Debug, direction: Direction) -> String {
    let direction = match direction {
        Direction::Asc => "asc",
        Direction::Desc => "desc",
    };
    format!("{list}/{field:?}/{direction}")
}
