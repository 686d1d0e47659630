//! PROVISIONAL (replaced by the webhook-client branch): a bare POST.

use std::time::Duration;

/// How the client behaves.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// Whole-attempt timeout.
    pub timeout: Duration,
    /// Whether private addresses may be called.
    pub allow_private_networks: bool,
    /// Whether only https is allowed.
    pub https_only: bool,
}

/// The client.
#[derive(Clone)]
pub struct CallbackClient(reqwest::Client);

/// What came back.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status.
    pub code: Option<u16>,
    /// A short account.
    pub message: String,
}

impl Answer {
    /// 2xx.
    pub fn succeeded(&self) -> bool {
        matches!(self.code, Some(200..=299))
    }
}

impl CallbackClient {
    /// A client.
    pub fn new(settings: ClientSettings) -> anyhow::Result<CallbackClient> {
        Ok(CallbackClient(
            reqwest::Client::builder()
                .timeout(settings.timeout)
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .build()?,
        ))
    }

    /// POSTs.
    pub async fn post(&self, url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Answer {
        let mut request = self.0.post(url).body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        match request.send().await {
            Ok(response) => Answer {
                code: Some(response.status().as_u16()),
                message: response.status().to_string(),
            },
            Err(e) => Answer {
                code: None,
                message: e.to_string(),
            },
        }
    }
}
