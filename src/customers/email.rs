//! Email addresses as customers are found by them: trimmed, lowercased, format-checked.

/// A normalised email address: trimmed and lowercased, so that lookups and uniqueness
/// ignore case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

/// Why an email address is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailProblem {
    /// Empty or only spaces.
    Blank,
    /// Not of the form `local@domain.tld`.
    Invalid,
}

impl EmailProblem {
    /// The key clients see in `extensions.error`.
    pub fn key(self) -> &'static str {
        match self {
            EmailProblem::Blank => "blank",
            EmailProblem::Invalid => "invalid",
        }
    }
}

impl Email {
    /// Parses and normalises an address. Deliberately simple, as browsers check it: one
    /// `@`, a local part, a dotted domain, no spaces, at most 254 characters.
    pub fn parse(raw: &str) -> Result<Email, EmailProblem> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err(EmailProblem::Blank);
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err(EmailProblem::Invalid);
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        if email.len() > 254
            || local.is_empty()
            || !domain_ok
            || email.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(EmailProblem::Invalid);
        }
        Ok(Email(email))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_lowercased() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "ada@@x.io",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailProblem::Invalid), "{bad}");
        }
        assert_eq!(Email::parse("   "), Err(EmailProblem::Blank));
    }
}
