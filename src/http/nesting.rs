//! How deep client text nests, measured before anything parses it.
//!
//! Parsers and the code that walks what they build recurse once per level of nesting:
//! async-graphql's parser on values (`[[[…]]]`, `{a:{a:…}}`), serde_json up to its limit
//! of 128, and then every conversion, validation rule, clone and drop of the values. A
//! few hundred levels overflow a worker thread's stack, which aborts the whole process.
//! So every GraphQL document and every JSON body is scanned first, in one pass without
//! recursion, and refused when it opens more than `MAX_NESTING` brackets at once: past
//! that check, every recursion on client input is bounded by a constant that fits any
//! thread's stack, rather than by the stack it happens to run on.

/// Text nested deeper than the limit: where the first bracket over the limit opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooDeep {
    /// The limit that was passed.
    pub limit: usize,
    /// The line of the bracket over the limit (from 1).
    pub line: usize,
    /// Its column (from 1, in characters).
    pub column: usize,
}

impl std::fmt::Display for TooDeep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "nested deeper than {} levels (line {}, column {})",
            self.limit, self.line, self.column
        )
    }
}

/// Counts open brackets and refuses the first one over the limit.
struct Depth {
    limit: usize,
    open: usize,
}

impl Depth {
    fn open(&mut self, text: &[u8], at: usize) -> Result<(), TooDeep> {
        self.open += 1;
        if self.open <= self.limit {
            return Ok(());
        }
        let before = &text[..at];
        let line_start = before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        Err(TooDeep {
            limit: self.limit,
            line: before.iter().filter(|b| **b == b'\n').count() + 1,
            column: String::from_utf8_lossy(&before[line_start..])
                .chars()
                .count()
                + 1,
        })
    }

    fn close(&mut self) {
        // Unbalanced text is the parser's to refuse; it cannot nest deeper by it.
        self.open = self.open.saturating_sub(1);
    }
}

/// Refuses a GraphQL document whose brackets (`{`, `[`, `(`: selection sets, lists,
/// input objects, arguments) nest deeper than `limit`. Strings, block strings and
/// comments are skipped as the GraphQL lexer reads them.
pub fn check_graphql(text: &str, limit: usize) -> Result<(), TooDeep> {
    let bytes = text.as_bytes();
    let mut depth = Depth { limit, open: 0 };
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    // `\"""` is the one escape of a block string.
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 3;
                continue;
            }
            b'"' => i = skip_string(bytes, i + 1, true),
            b'{' | b'[' | b'(' => depth.open(bytes, i)?,
            b'}' | b']' | b')' => depth.close(),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Refuses JSON text whose arrays and objects nest deeper than `limit`. The text need
/// not be valid JSON: what is not is left for the JSON parser to refuse.
pub fn check_json(text: &[u8], limit: usize) -> Result<(), TooDeep> {
    let mut depth = Depth { limit, open: 0 };
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'"' => i = skip_string(text, i + 1, false),
            b'{' | b'[' => depth.open(text, i)?,
            b'}' | b']' => depth.close(),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// The index of the quote that closes a string whose content starts at `i` (or the end
/// of the text, or, in GraphQL where a string cannot span lines, of the line).
fn skip_string(text: &[u8], mut i: usize, ends_at_line: bool) -> usize {
    while i < text.len() {
        match text[i] {
            b'\\' => i += 2,
            b'"' => return i,
            b'\n' | b'\r' if ends_at_line => return i,
            _ => i += 1,
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(open: &str, inner: &str, close: &str, levels: usize) -> String {
        format!("{}{inner}{}", open.repeat(levels), close.repeat(levels))
    }

    #[test]
    fn documents_nested_up_to_the_limit_pass_and_one_more_level_is_refused() {
        let lists = |n| format!("{{__typename(x:{})}}", nested("[", "1", "]", n));
        // The selection set and the argument list are two levels.
        assert!(check_graphql(&lists(8), 10).is_ok());
        let refused = check_graphql(&lists(9), 10).unwrap_err();
        assert_eq!((refused.line, refused.column), (1, 23));
        let objects = |n| format!("{{__typename(x:{})}}", nested("{a:", "1", "}", n));
        assert!(check_graphql(&objects(8), 10).is_ok());
        assert!(check_graphql(&objects(9), 10).is_err());
        assert!(check_graphql(&nested("{a", "", "}", 11), 10).is_err());
    }

    #[test]
    fn brackets_in_strings_block_strings_and_comments_do_not_count() {
        let deep = "[".repeat(100);
        for text in [
            format!("{{ a(x: \"{deep}\") }}"),
            format!("{{ a(x: \"\\\"{deep}\") }}"),
            format!("{{ a(x: \"\"\"{deep} \\\"\"\" {deep}\"\"\") }}"),
            format!("# {deep}\n{{ a }}"),
            format!("{{ a(x: \"\") # {deep}\r b }}"),
        ] {
            assert!(check_graphql(&text, 3).is_ok(), "{text}");
        }
        // A string ends at its line: what follows is read as the parser reads it.
        assert!(check_graphql(&format!("{{ a(x: \"open\n{deep}) }}"), 3).is_err());
        assert!(check_graphql(&format!("\"\"\"{deep}\"\"\" {deep}"), 3).is_err());
    }

    #[test]
    fn json_is_measured_outside_its_strings() {
        let value = |n| nested("{\"a\":", "1", "}", n);
        assert!(check_json(value(64).as_bytes(), 64).is_ok());
        assert!(check_json(value(65).as_bytes(), 64).is_err());
        assert!(check_json(nested("[", "", "]", 5000).as_bytes(), 64).is_err());
        let quoted = format!("{{\"q\":\"\\\"{}\"}}", "[".repeat(500));
        assert!(check_json(quoted.as_bytes(), 2).is_ok());
        assert!(check_json(b"]]]]}}}} [[[", 3).is_ok(), "unbalanced text");
    }

    #[test]
    fn the_refusal_says_where() {
        let text = "query {\n  a(x: [[[1]]])\n}";
        let refused = check_graphql(text, 3).unwrap_err();
        assert_eq!((refused.line, refused.column), (2, 9));
        assert_eq!(
            refused.to_string(),
            "nested deeper than 3 levels (line 2, column 9)"
        );
    }
}
