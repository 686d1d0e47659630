//! The HTTP client that POSTs one signed body to one callback URL (DESIGN section 7).
//!
//! A callback URL is the integrator's choice, so the client is built to be pointed at
//! hostile servers: only `http(s)`, addresses checked after DNS resolution and the
//! connection made to the address checked ([`super::addresses`]), no redirects followed
//! (a 3xx is a failure), no proxy from the environment, one deadline over connecting and
//! answering, and the answer's body never read (a receiver could stream gigabytes). What
//! the attempt records is the status and a short message: never a header or a body.

use std::error::Error as StdError;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use url::{Host, Url};

use super::addresses::{CheckedResolver, Unreachable, refusal};

/// Longest [`Answer::message`], in characters.
pub const MAX_MESSAGE_CHARS: usize = 200;

/// The User-Agent deliveries carry.
pub const USER_AGENT: &str = concat!("reset-gateway-webhooks/", env!("CARGO_PKG_VERSION"));

/// How callbacks are called (`WEBHOOK_*` settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientSettings {
    /// Deadline of one attempt, from before connecting to the answer's status line.
    pub timeout: Duration,
    /// Whether loopback, private, link-local and other non-public addresses may be called.
    pub allow_private_networks: bool,
    /// Whether `http` callbacks are refused.
    pub https_only: bool,
}

impl Default for ClientSettings {
    /// The service's defaults: 5 s, public addresses only, `http` allowed.
    fn default() -> ClientSettings {
        ClientSettings {
            timeout: Duration::from_secs(5),
            allow_private_networks: false,
            https_only: false,
        }
    }
}

/// Calls callback URLs. Cheap to clone (one connection pool per process).
#[derive(Debug, Clone)]
pub struct CallbackClient {
    http: reqwest::Client,
    settings: ClientSettings,
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status; `None` when no answer came (refused, unreachable, timed out).
    pub code: Option<u16>,
    /// A short account for people (at most [`MAX_MESSAGE_CHARS`] characters): the
    /// status's reason, or why no answer came. Never a header or a body.
    pub message: String,
}

impl Answer {
    /// Whether the receiver took the event (a 2xx status).
    pub fn succeeded(&self) -> bool {
        self.code.is_some_and(|code| (200..300).contains(&code))
    }

    fn status(status: reqwest::StatusCode) -> Answer {
        let reason = status.canonical_reason().unwrap_or("Unknown status");
        let message = match status.is_redirection() {
            true => format!("{reason} (redirects are not followed)"),
            false => reason.to_owned(),
        };
        Answer {
            code: Some(status.as_u16()),
            message,
        }
    }

    /// No answer came (or nothing was sent), for this reason, cut to
    /// [`MAX_MESSAGE_CHARS`].
    pub(crate) fn none(message: impl Into<String>) -> Answer {
        let message: String = message.into();
        Answer {
            code: None,
            message: message.chars().take(MAX_MESSAGE_CHARS).collect(),
        }
    }
}

impl CallbackClient {
    /// A client with these settings.
    pub fn new(settings: ClientSettings) -> anyhow::Result<CallbackClient> {
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .no_proxy()
            .referer(false)
            .http1_only()
            .https_only(settings.https_only)
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .dns_resolver(CheckedResolver {
                allow_private_networks: settings.allow_private_networks,
            })
            .build()?;
        Ok(CallbackClient { http, settings })
    }

    /// POSTs `body` (JSON) with these extra headers; never panics, never follows
    /// redirects.
    pub async fn post(&self, url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Answer {
        let url = match self.checked_url(url) {
            Ok(url) => url,
            Err(answer) => return answer,
        };
        let headers = match header_map(headers) {
            Some(headers) => headers,
            None => return Answer::none("refused: a header is not valid HTTP"),
        };
        let sent = self.http.post(url).headers(headers).body(body).send();
        // reqwest's deadline already covers resolving, connecting and the status line; the
        // same deadline again here, so that nothing between them can outlive it.
        match tokio::time::timeout(self.settings.timeout, sent).await {
            // The body is dropped unread: the status is all an attempt records.
            Ok(Ok(response)) => Answer::status(response.status()),
            Ok(Err(error)) => self.failure(&error),
            Err(_) => Answer::none(self.timed_out()),
        }
    }

    /// The URL when it may be called: `http(s)`, not `http` under `https_only`, and an
    /// IP-literal host checked here (reqwest calls no resolver for those).
    fn checked_url(&self, raw: &str) -> Result<Url, Answer> {
        let url = Url::parse(raw).map_err(|_| Answer::none("refused: not a valid URL"))?;
        match url.scheme() {
            "https" => {}
            "http" if self.settings.https_only => {
                return Err(Answer::none(
                    "refused: http callbacks are not allowed (WEBHOOK_HTTPS_ONLY)",
                ));
            }
            "http" => {}
            other => {
                return Err(Answer::none(format!(
                    "refused: {other} URLs are not called (only http and https)"
                )));
            }
        }
        let ip = match url.host() {
            Some(Host::Ipv4(ip)) => Some(ip.into()),
            Some(Host::Ipv6(ip)) => Some(ip.into()),
            Some(Host::Domain(_)) => None,
            None => return Err(Answer::none("refused: the URL has no host")),
        };
        let refused = ip.and_then(|ip| refusal(ip, self.settings.allow_private_networks));
        match refused {
            Some(Unreachable(why)) => Err(Answer::none(why)),
            None => Ok(url),
        }
    }

    fn timed_out(&self) -> String {
        format!(
            "timed out after {}",
            humantime::format_duration(self.settings.timeout)
        )
    }

    /// The message of an attempt that got no answer. reqwest's own text carries the URL
    /// (which may hold a token in its query), so the message is built from the causes.
    fn failure(&self, error: &reqwest::Error) -> Answer {
        if let Some(why) = find::<Unreachable>(error) {
            return Answer::none(why.0.clone());
        }
        if error.is_timeout() {
            return Answer::none(self.timed_out());
        }
        // An operating system error by its kind ("connection refused"); others (TLS,
        // protocol) by the innermost cause's text, which says what went wrong.
        if let Some(kind) = find::<std::io::Error>(error)
            .filter(|io| io.raw_os_error().is_some())
            .map(std::io::Error::kind)
        {
            return Answer::none(kind.to_string());
        }
        let innermost = causes(error).skip(1).last();
        let kind = match error.is_connect() {
            true => "could not connect",
            false => "no answer",
        };
        match innermost {
            Some(cause) => Answer::none(format!("{kind}: {cause}")),
            None => Answer::none(kind),
        }
    }
}

/// `error` and its causes, outermost first.
fn causes<'a>(
    error: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(error), |e: &&'a (dyn StdError + 'static)| {
        (*e).source()
    })
}

/// The first error of type `E` among `error` and its causes.
fn find<'a, E: StdError + 'static>(error: &'a (dyn StdError + 'static)) -> Option<&'a E> {
    causes(error).find_map(|e| e.downcast_ref::<E>())
}

/// The request's headers: `Content-Type: application/json`, then the caller's. `None`
/// when a name or value is not valid HTTP.
fn header_map(extra: &[(&str, &str)]) -> Option<HeaderMap> {
    let mut headers = HeaderMap::with_capacity(extra.len() + 1);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    for (name, value) in extra {
        let name = HeaderName::from_bytes(name.as_bytes()).ok()?;
        let value = HeaderValue::from_str(value).ok()?;
        headers.append(name, value);
    }
    Some(headers)
}
