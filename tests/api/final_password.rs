//! A password change is final: a login with the old password that is in flight while a
//! reset is redeemed gets no session, and its rehash never writes the old password back.
//! The races are made deterministic by holding the login at each of its steps.

use std::sync::{Arc, Mutex};

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use reset_gateway::auth::pauses::LoginStep;
use reset_gateway::auth::{Mode, Role};
use reset_gateway::customers::queries::find_credentials;
use reset_gateway::db::schema::customers;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::fixtures::{Callers, PASSWORD, create_reset, redeem};
use crate::harness::{Client, TestApp, error_code, on_both_databases};

const OLD: &str = "the old and long password";
const NEW: &str = "the new and long password";
const ME: &str = "query($id: ID!) { customer(id: $id) { id } }";

/// Holds the next password login of one instance at a chosen step.
#[derive(Clone, Default)]
struct LoginHolder {
    armed: Arc<Mutex<Option<Hold>>>,
}

struct Hold {
    step: LoginStep,
    reached: oneshot::Sender<()>,
    release: oneshot::Receiver<()>,
}

/// A held login: it has reached its step once `reached` completes, and goes on when
/// `release` is sent.
struct Held {
    reached: oneshot::Receiver<()>,
    release: oneshot::Sender<()>,
}

impl LoginHolder {
    fn install(app: &TestApp) -> LoginHolder {
        let holder = LoginHolder::default();
        let armed = holder.armed.clone();
        let installed = app
            .state()
            .login_pauses
            .install_for_tests(Arc::new(move |step| {
                let hold = {
                    let mut armed = armed.lock().unwrap();
                    match armed.as_ref() {
                        Some(hold) if hold.step == step => armed.take(),
                        _ => None,
                    }
                };
                Box::pin(async move {
                    if let Some(hold) = hold {
                        let _ = hold.reached.send(());
                        let _ = hold.release.await;
                    }
                })
            }));
        assert!(installed, "one holder per instance");
        holder
    }

    fn hold_next(&self, step: LoginStep) -> Held {
        let (reached_tx, reached) = oneshot::channel();
        let (release, release_rx) = oneshot::channel();
        *self.armed.lock().unwrap() = Some(Hold {
            step,
            reached: reached_tx,
            release: release_rx,
        });
        Held { reached, release }
    }
}

/// What a race needs: the instance customers were made on (weak argon2 costs), the one
/// the racing login goes through, and callers.
struct Race<'a> {
    weak: &'a TestApp,
    login_app: &'a TestApp,
    holder: &'a LoginHolder,
    integration: String,
    shop: Client,
    shop_token: String,
}

impl Race<'_> {
    /// A customer with the old password logs in once (a session from before), then logs
    /// in again while, held at `step`, a reset to the new password is redeemed.
    async fn run(&self, email: &str, step: LoginStep) {
        self.weak
            .customer(&self.integration, email, Some(OLD))
            .await;
        let (status, before) = self.weak.login(&self.shop, email, OLD).await;
        assert_eq!(status, 200, "{before}");
        let (id, token) = create_reset(self.weak, &self.integration, email).await;
        let held = self.holder.hold_next(step);
        let login = self.login_app.login(&self.shop, email, OLD);
        let reset = async {
            held.reached.await.expect("the login reached its step");
            let redeemed = redeem(self.weak, &self.shop_token, &id, &token, NEW).await;
            let _ = held.release.send(());
            redeemed
        };
        let ((status, raced), redeemed) = tokio::join!(login, reset);
        assert_eq!(
            redeemed["data"]["updateCustomerPasswordReset"]["status"], "USED",
            "{redeemed}"
        );
        for app in [self.weak, self.login_app] {
            let (status, answer) = app.login(&self.shop, email, NEW).await;
            assert_eq!(status, 200, "{step:?}: the new password works: {answer}");
            let (status, _) = app.login(&self.shop, email, OLD).await;
            assert_eq!(status, 400, "{step:?}: the old password never works again");
        }
        assert_eq!(
            (status, raced["error"].as_str()),
            (400, Some("invalid_grant")),
            "{step:?}: {raced}"
        );
        for session in [&before, &raced] {
            self.assert_dead(session, step).await;
        }
    }

    async fn assert_dead(&self, session: &Value, step: LoginStep) {
        if let Some(access) = session["access_token"].as_str() {
            let me = self
                .weak
                .graphql(Some(access), ME, json!({ "id": session["owner_id"] }))
                .await;
            assert_eq!(error_code(&me), Some("INVALID_TOKEN"), "{step:?}: {me}");
        }
        if let Some(refresh) = session["refresh_token"].as_str() {
            let (status, _) = self
                .weak
                .oauth_form(
                    "/oauth/token",
                    &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
                )
                .await;
            assert_eq!(status, 400, "{step:?}: its refresh token died");
        }
    }
}

async fn race_on(app: &TestApp, raised_costs: bool) {
    // Customers are made with weak costs; the racing login goes through an instance with
    // today's costs (which rehashes at login) or through the weak one (which does not).
    let weak = app.sibling(|c| c.argon2_memory_kib = 8 * 1024).await;
    let login_app = if raised_costs { app } else { &weak };
    let holder = LoginHolder::install(login_app);
    let integration = weak.token(Role::Integration, Mode::Test).await;
    let shop = weak.credential(Role::SalesChannel, Mode::Test).await;
    let shop_token = weak.client_token(&shop).await;
    let race = Race {
        weak: &weak,
        login_app,
        holder: &holder,
        integration,
        shop,
        shop_token,
    };
    race.run("verified@example.com", LoginStep::PasswordVerified)
        .await;
    race.run("opening@example.com", LoginStep::OpeningSession)
        .await;
}

/// A change to an instance's configuration that weakens one argon2 cost.
type Weaken = fn(&mut reset_gateway::config::Config);

/// The customer's password hash, as stored.
async fn stored_hash(app: &TestApp, email: &str) -> String {
    let mut conn = app.state().db.conn().await.unwrap();
    let stored = find_credentials(&mut conn, Mode::Test, email)
        .await
        .unwrap()
        .unwrap();
    stored.password_hash.unwrap()
}

/// The customer's password version, as stored.
async fn password_version(app: &TestApp, email: &str) -> i32 {
    let mut conn = app.state().db.conn().await.unwrap();
    find_credentials(&mut conn, Mode::Test, email)
        .await
        .unwrap()
        .unwrap()
        .password_version
}

on_both_databases! {
    #[config(|c| c.argon2_parallelism = 2)]
    async fn a_login_rehashes_a_password_hashed_with_any_weaker_cost_and_no_other(app: TestApp) {
        let shop = app.credential(Role::SalesChannel, Mode::Test).await;
        let weaker: [(&str, Weaken); 3] = [
            ("memory@example.com", |c| c.argon2_memory_kib = 8 * 1024),
            ("iterations@example.com", |c| c.argon2_iterations = 1),
            ("lanes@example.com", |c| c.argon2_parallelism = 1),
        ];
        for (email, weaken) in weaker {
            let weak = app.sibling(weaken).await;
            let integration = weak.token(Role::Integration, Mode::Test).await;
            weak.customer(&integration, email, Some(PASSWORD)).await;
            let before = stored_hash(&app, email).await;
            let (status, _) = app.login(&shop, email, PASSWORD).await;
            assert_eq!(status, 200);
            assert_ne!(stored_hash(&app, email).await, before, "{email}: rehashed with today's costs");
        }
        let integration = app.token(Role::Integration, Mode::Test).await;
        app.customer(&integration, "today@example.com", Some(PASSWORD)).await;
        let before = stored_hash(&app, "today@example.com").await;
        let (status, _) = app.login(&shop, "today@example.com", PASSWORD).await;
        assert_eq!(status, 200);
        assert_eq!(stored_hash(&app, "today@example.com").await, before, "today's costs: left as it is");
    }

    async fn every_password_change_moves_the_version_on_and_a_rehash_does_not(app: TestApp) {
        let weak = app.sibling(|c| c.argon2_memory_kib = 8 * 1024).await;
        let integration = weak.token(Role::Integration, Mode::Test).await;
        let shop = weak.credential(Role::SalesChannel, Mode::Test).await;
        let shop_token = weak.client_token(&shop).await;
        let id = weak.customer(&integration, "guest@example.com", None).await;
        assert_eq!(password_version(&app, "guest@example.com").await, 0);
        let update = weak
            .graphql(
                Some(&integration),
                "mutation($id: ID!) { updateCustomer(id: $id, input: { password: \"the old and long password\" }) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert!(update["errors"].is_null(), "{update}");
        assert_eq!(password_version(&app, "guest@example.com").await, 1, "a guest's first password");
        let (id, token) = create_reset(&weak, &integration, "guest@example.com").await;
        redeem(&weak, &shop_token, &id, &token, NEW).await;
        assert_eq!(password_version(&app, "guest@example.com").await, 2, "a reset");
        let before = stored_hash(&app, "guest@example.com").await;
        let (status, _) = app.login(&shop, "guest@example.com", NEW).await;
        assert_eq!(status, 200);
        assert_ne!(stored_hash(&app, "guest@example.com").await, before, "rehashed with today's costs");
        assert_eq!(password_version(&app, "guest@example.com").await, 2, "a rehash is no change");
    }

    async fn a_session_opened_under_an_older_password_version_is_refused(app: TestApp) {
        // What a login whose session insert raced a password change would hold, had the
        // change's deletion of sessions missed it: the version alone must refuse it.
        let who = Callers::new(&app).await;
        let (_, login) = app.login(&who.sales_channel_client, "me@example.com", PASSWORD).await;
        let mut conn = app.state().db.conn().await.unwrap();
        db_run!(&mut conn, |c| {
            diesel::update(customers::table.find(&who.me))
                .set(customers::password_version.eq(customers::password_version + 1))
                .execute(c)
                .await
        })
        .unwrap();
        let me = app.graphql(login["access_token"].as_str(), ME, json!({ "id": who.me })).await;
        assert_eq!(error_code(&me), Some("INVALID_TOKEN"), "{me}");
        let refresh = login["refresh_token"].as_str().unwrap();
        let (status, answer) = app
            .oauth_form("/oauth/token", &[("grant_type", "refresh_token"), ("refresh_token", refresh)])
            .await;
        assert_eq!((status, answer["error"].as_str()), (400, Some("invalid_grant")));
    }

    async fn a_login_in_flight_while_a_reset_is_redeemed_gets_no_session(app: TestApp) {
        race_on(&app, false).await;
    }

    async fn a_rehash_racing_a_reset_never_brings_the_old_password_back(app: TestApp) {
        race_on(&app, true).await;
    }
}
