//! The rules a webhook's own fields follow: a known topic, an `http(s)` callback URL with
//! a host, included resources that the topic's payload can carry, a name for people.
//! Each refusal points at the input field at fault.

use crate::listing::FieldProblem;

/// The topics a webhook may receive (Commerce Layer's names).
pub const TOPICS: &[&str] = &crate::webhooks::topic::TOPIC_NAMES;

/// The resources a payload can include, and the topic prefix whose payloads can.
pub const INCLUDABLE: &[(&str, &str)] = &[("customer", "customer_password_resets.")];

/// Longest name, in characters.
pub const MAX_NAME_CHARS: usize = 255;

/// Longest callback URL, in characters (what common servers accept in a request line).
pub const MAX_CALLBACK_URL_CHARS: usize = 2048;

fn problem(field: &str, key: &'static str, message: impl Into<String>) -> FieldProblem {
    FieldProblem::new(format!("/input/{field}"), key, message)
}

/// The name, trimmed; refused when blank or too long.
pub fn name(raw: &str) -> Result<String, FieldProblem> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(problem("name", "blank", "can't be blank"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(problem(
            "name",
            "too_long",
            format!("is too long (at most {MAX_NAME_CHARS} characters)"),
        ));
    }
    Ok(name.to_owned())
}

/// The topic, when it is one of [`TOPICS`]; a blank one is refused as blank, as a blank
/// name or callback URL is.
pub fn topic(raw: &str) -> Result<String, FieldProblem> {
    if raw.trim().is_empty() {
        return Err(problem("topic", "blank", "can't be blank"));
    }
    match TOPICS.contains(&raw) {
        true => Ok(raw.to_owned()),
        false => Err(problem(
            "topic",
            "invalid",
            format!("is not one of {}", TOPICS.join(", ")),
        )),
    }
}

/// What the configuration says of callback URLs (`WEBHOOK_HTTPS_ONLY`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallbackRules {
    /// Whether `http` callbacks are refused (they are refused at delivery too).
    pub https_only: bool,
}

/// The callback URL, as the URL parser writes it: `http` (unless `https_only`) or
/// `https`, with a host. Whether its address may be called is checked at delivery, after
/// DNS resolution: the name may resolve elsewhere by then.
pub fn callback_url(raw: &str, rules: CallbackRules) -> Result<String, FieldProblem> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(problem("callbackUrl", "blank", "can't be blank"));
    }
    let too_long = || {
        problem(
            "callbackUrl",
            "too_long",
            format!("is too long (at most {MAX_CALLBACK_URL_CHARS} characters)"),
        )
    };
    // Checked before parsing (the parser's work is bounded) and again on the URL as
    // written and stored, which percent-encodes each non-ASCII character into up to 12.
    if raw.chars().count() > MAX_CALLBACK_URL_CHARS {
        return Err(too_long());
    }
    let invalid = || {
        problem(
            "callbackUrl",
            "invalid",
            "must be an http or https URL with a host",
        )
    };
    let url = url::Url::parse(raw).map_err(|_| invalid())?;
    let has_host = url.host_str().is_some_and(|host| !host.is_empty());
    if !matches!(url.scheme(), "http" | "https") || !has_host {
        return Err(invalid());
    }
    if rules.https_only && url.scheme() != "https" {
        return Err(problem(
            "callbackUrl",
            "invalid",
            "must be an https URL (this service calls no http callbacks)",
        ));
    }
    let written = url.to_string();
    if written.chars().count() > MAX_CALLBACK_URL_CHARS {
        return Err(too_long());
    }
    Ok(written)
}

/// The included resources, without repeats, when each is one a payload can include.
pub fn known_resources(resources: &[String]) -> Result<Vec<String>, FieldProblem> {
    let mut kept: Vec<String> = Vec::new();
    for resource in resources {
        if !INCLUDABLE.iter().any(|(name, _)| name == resource) {
            return Err(problem(
                "includeResources",
                "invalid",
                format!("`{resource}` cannot be included (only `customer`)"),
            ));
        }
        if !kept.contains(resource) {
            kept.push(resource.clone());
        }
    }
    Ok(kept)
}

/// Checks that the topic's payloads can carry each included resource. `pointer_field`
/// names the input field blamed for a mismatch: the topic when only it changed.
pub fn fits_topic(
    topic: &str,
    resources: &[String],
    pointer_field: &str,
) -> Result<(), FieldProblem> {
    for resource in resources {
        let prefix = INCLUDABLE
            .iter()
            .find(|(name, _)| name == resource)
            .map_or("", |(_, prefix)| prefix);
        if prefix.is_empty() || !topic.starts_with(prefix) {
            return Err(problem(
                pointer_field,
                "invalid",
                format!("`{resource}` is included only in {prefix}* payloads"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANY: CallbackRules = CallbackRules { https_only: false };

    #[test]
    fn callback_urls_are_http_or_https_with_a_host() {
        assert_eq!(
            callback_url(" https://Hooks.Example.com/a?b=1 ", ANY).unwrap(),
            "https://hooks.example.com/a?b=1"
        );
        assert!(callback_url("http://127.0.0.1:8080/x", ANY).is_ok());
        for bad in [
            "",
            "hooks.example.com",
            "ftp://x.io/",
            "https://",
            "mailto:a@b.c",
            "data:,x",
            "file:///etc/passwd",
        ] {
            assert_eq!(
                callback_url(bad, ANY).unwrap_err().pointer,
                "/input/callbackUrl",
                "{bad}"
            );
        }
    }

    #[test]
    fn https_only_refuses_http_callback_urls() {
        let https_only = CallbackRules { https_only: true };
        assert!(callback_url("https://hooks.example.com/a", https_only).is_ok());
        let refused = callback_url("http://hooks.example.com/a", https_only).unwrap_err();
        assert_eq!(refused.pointer, "/input/callbackUrl");
        assert!(refused.message.contains("https"), "{}", refused.message);
    }

    #[test]
    fn the_customer_is_included_only_for_reset_topics() {
        let customer = ["customer".to_owned(), "customer".to_owned()];
        assert_eq!(known_resources(&customer), Ok(vec!["customer".to_owned()]));
        let unknown = known_resources(&["orders".into()]).unwrap_err();
        assert_eq!(unknown.pointer, "/input/includeResources");
        let reset_topic = "customer_password_resets.create";
        assert_eq!(fits_topic(reset_topic, &customer, "topic"), Ok(()));
        let refused = fits_topic("customers.create", &customer, "topic").unwrap_err();
        assert_eq!(refused.pointer, "/input/topic");
    }
}
