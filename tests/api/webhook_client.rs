//! The webhook delivery client against a real receiver on loopback: what counts as a
//! success, redirects, timeouts, and the refusal of addresses and schemes.

use std::time::{Duration, Instant};

use reset_gateway::webhooks::delivery::{Answer, CallbackClient, ClientSettings};

use crate::receiver::{Receiver, Reply};

/// Settings for a receiver on loopback, with a short timeout.
fn loopback() -> ClientSettings {
    ClientSettings {
        timeout: Duration::from_millis(500),
        allow_private_networks: true,
        https_only: false,
    }
}

fn client(settings: ClientSettings) -> CallbackClient {
    CallbackClient::new(settings).expect("client")
}

async fn post(client: &CallbackClient, url: &str) -> Answer {
    client.post(url, &[], br#"{"data":{}}"#.to_vec()).await
}

#[tokio::test]
async fn a_2xx_answer_succeeds_and_the_receiver_gets_the_body_and_headers() {
    let receiver = Receiver::start().await;
    let body = br#"{"data":{"id":"abc","type":"customer_password_resets"}}"#.to_vec();
    let headers = [
        ("X-CommerceLayer-Topic", "customer_password_resets.create"),
        ("webhook-id", "msg_1"),
    ];
    let answer = client(loopback())
        .post(&receiver.url("/hooks?x=1"), &headers, body.clone())
        .await;
    assert_eq!(
        answer,
        Answer {
            code: Some(200),
            message: "OK".into()
        }
    );
    assert!(answer.succeeded());
    let got = receiver.wait_for(1, Duration::from_secs(1)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].method, "POST");
    assert_eq!(got[0].path, "/hooks?x=1");
    assert_eq!(got[0].body, body);
    assert_eq!(got[0].header("content-type"), Some("application/json"));
    assert!(
        got[0]
            .header("user-agent")
            .unwrap()
            .contains("reset-gateway")
    );
    assert_eq!(
        got[0].header("x-commercelayer-topic"),
        Some("customer_password_resets.create")
    );
    assert_eq!(got[0].header("webhook-id"), Some("msg_1"));
    assert_eq!(got[0].header("cookie"), None);
}

#[tokio::test]
async fn a_500_answer_fails_with_its_code() {
    let receiver = Receiver::start().await;
    receiver.answer(Reply::Status(500));
    let answer = post(&client(loopback()), &receiver.url("/")).await;
    assert_eq!(answer.code, Some(500));
    assert_eq!(answer.message, "Internal Server Error");
    assert!(!answer.succeeded());
}

#[tokio::test]
async fn a_redirect_fails_with_its_code_and_is_not_followed() {
    let receiver = Receiver::start().await;
    let elsewhere = Receiver::start().await;
    receiver.answer(Reply::Redirect(elsewhere.url("/moved")));
    let answer = post(&client(loopback()), &receiver.url("/")).await;
    assert_eq!(
        answer,
        Answer {
            code: Some(302),
            message: "Found (redirects are not followed)".into()
        }
    );
    assert!(!answer.succeeded());
    assert_eq!(receiver.requests().len(), 1);
    assert_eq!(elsewhere.connections(), 0);
    assert!(elsewhere.requests().is_empty());
}

#[tokio::test]
async fn a_slow_receiver_times_out_within_the_configured_timeout() {
    let receiver = Receiver::start().await;
    receiver.answer(Reply::Slow(Duration::from_secs(30)));
    let started = Instant::now();
    let answer = post(&client(loopback()), &receiver.url("/")).await;
    let took = started.elapsed();
    assert_eq!(
        answer,
        Answer {
            code: None,
            message: "timed out after 500ms".into()
        }
    );
    assert!(took >= Duration::from_millis(500), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_eq!(receiver.requests().len(), 1);
}

#[tokio::test]
async fn an_endless_answer_body_is_not_read() {
    let receiver = Receiver::start().await;
    receiver.answer(Reply::Endless);
    let answer = post(&client(loopback()), &receiver.url("/")).await;
    assert_eq!(answer.code, Some(200));
    assert!(answer.succeeded());
}

#[tokio::test]
async fn a_loopback_address_is_refused_without_connecting() {
    let receiver = Receiver::start().await;
    let client = client(ClientSettings {
        allow_private_networks: false,
        ..loopback()
    });
    let answer = post(&client, &receiver.url("/")).await;
    assert_eq!(
        answer,
        Answer {
            code: None,
            message: "refused: 127.0.0.1 is a loopback address".into()
        }
    );
    let port = receiver.addr().port();
    for url in [
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://0x7f.1:{port}/"),
        format!("http://2130706433:{port}/"),
    ] {
        let answer = post(&client, &url).await;
        assert_eq!(answer.code, None, "{url}");
        assert!(answer.message.contains("loopback"), "{url}: {answer:?}");
    }
    assert_eq!(receiver.connections(), 0);
}

#[tokio::test]
async fn a_name_resolving_to_loopback_is_refused_without_connecting() {
    let receiver = Receiver::start().await;
    let client = client(ClientSettings {
        allow_private_networks: false,
        ..loopback()
    });
    let url = format!("http://localhost:{}/", receiver.addr().port());
    let answer = post(&client, &url).await;
    assert_eq!(answer.code, None);
    assert!(answer.message.starts_with("refused: "), "{answer:?}");
    assert!(
        answer
            .message
            .ends_with("is a loopback address (localhost resolves to it)"),
        "{answer:?}"
    );
    assert_eq!(receiver.connections(), 0);
}

#[tokio::test]
async fn a_name_resolving_to_loopback_is_called_when_private_networks_are_allowed() {
    let receiver = Receiver::start().await;
    let url = format!("http://localhost:{}/", receiver.addr().port());
    let answer = post(&client(loopback()), &url).await;
    // localhost may resolve to ::1 first, where nothing listens: then 127.0.0.1 is tried.
    assert_eq!(answer.code, Some(200), "{answer:?}");
    assert_eq!(receiver.requests().len(), 1);
}

#[tokio::test]
async fn only_http_and_https_urls_are_called() {
    let client = client(loopback());
    for (url, message) in [
        (
            "ftp://127.0.0.1/hooks",
            "refused: ftp URLs are not called (only http and https)",
        ),
        (
            "file:///etc/passwd",
            "refused: file URLs are not called (only http and https)",
        ),
        ("not a url", "refused: not a valid URL"),
    ] {
        let answer = post(&client, url).await;
        assert_eq!(
            answer,
            Answer {
                code: None,
                message: message.into()
            },
            "{url}"
        );
    }
}

#[tokio::test]
async fn https_only_refuses_http_callbacks() {
    let receiver = Receiver::start().await;
    let client = client(ClientSettings {
        https_only: true,
        ..loopback()
    });
    let answer = post(&client, &receiver.url("/")).await;
    assert_eq!(
        answer,
        Answer {
            code: None,
            message: "refused: http callbacks are not allowed (WEBHOOK_HTTPS_ONLY)".into()
        }
    );
    assert_eq!(receiver.connections(), 0);
}

#[tokio::test]
async fn a_closed_port_is_a_refused_connection() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let answer = post(&client(loopback()), &format!("http://127.0.0.1:{port}/")).await;
    assert_eq!(
        answer,
        Answer {
            code: None,
            message: "connection refused".into()
        }
    );
}

#[tokio::test]
async fn headers_that_are_not_valid_http_are_refused_without_echoing_them() {
    let receiver = Receiver::start().await;
    let headers = [("webhook-signature", "v1,secret\nvalue")];
    let answer = client(loopback())
        .post(&receiver.url("/"), &headers, Vec::new())
        .await;
    assert_eq!(answer.code, None);
    assert!(!answer.message.contains("secret"), "{answer:?}");
    assert_eq!(receiver.connections(), 0);
}

#[tokio::test]
async fn an_https_callback_to_a_server_without_tls_gets_no_code() {
    let receiver = Receiver::start().await;
    let url = format!("https://{}/", receiver.addr());
    let answer = post(&client(loopback()), &url).await;
    assert_eq!(answer.code, None, "{answer:?}");
    assert!(
        answer.message.starts_with("could not connect: "),
        "{answer:?}"
    );
    assert!(receiver.requests().is_empty());
}

#[test]
fn the_client_settings_come_from_the_configuration() {
    use clap::Parser;
    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        config: reset_gateway::config::Config,
    }
    let defaults = Cli::try_parse_from(["reset-gateway"]).unwrap().config;
    assert_eq!(
        defaults.webhook_client_settings(),
        ClientSettings::default()
    );
    assert_eq!(ClientSettings::default().timeout, Duration::from_secs(5));
    assert!(!defaults.webhook_callback_rules().https_only);

    let set = Cli::try_parse_from([
        "reset-gateway",
        "--webhook-timeout",
        "250ms",
        "--webhook-allow-private-networks",
        "true",
        "--webhook-https-only",
        "true",
    ])
    .unwrap()
    .config;
    let expected = ClientSettings {
        timeout: Duration::from_millis(250),
        allow_private_networks: true,
        https_only: true,
    };
    assert_eq!(set.webhook_client_settings(), expected);
    assert!(set.webhook_callback_rules().https_only);

    let zero = Cli::try_parse_from(["reset-gateway", "--webhook-timeout", "0s"]);
    assert!(zero.is_err(), "a zero timeout is refused");
}
