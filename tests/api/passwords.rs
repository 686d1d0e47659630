//! Password rules: common passwords are refused wherever a password is set, and a hash
//! made with weaker argon2 costs is replaced at the next login.

use reset_gateway::auth::{Mode, Role};
use reset_gateway::customers::queries::find_credentials;
use serde_json::json;

use crate::fixtures::{Callers, create_reset, redeem};
use crate::harness::on_both_databases;

on_both_databases! {
    async fn common_passwords_are_refused_on_sign_up_guest_update_and_reset(app: TestApp) {
        let who = Callers::new(&app).await;
        let sign_up = app
            .graphql(
                Some(&who.sales_channel),
                "mutation { createCustomer(input: { email: \"new@example.com\", password: \"Password1\" }) { id } }",
                json!({}),
            )
            .await;
        let ext = &sign_up["errors"][0]["extensions"];
        assert_eq!((ext["pointer"].as_str(), ext["error"].as_str()), (Some("/input/password"), Some("too_common")));
        let (id, token) = create_reset(&app, &who.integration, "me@example.com").await;
        let reset = redeem(&app, &who.sales_channel, &id, &token, "iloveyou").await;
        let ext = &reset["errors"][0]["extensions"];
        assert_eq!((ext["pointer"].as_str(), ext["error"].as_str()), (Some("/input/customerPassword"), Some("too_common")));
    }

    async fn a_login_rehashes_a_password_made_with_weaker_costs(app: TestApp) {
        let weak = app.sibling(|c| c.argon2_memory_kib = 8 * 1024).await;
        let integration = weak.token(Role::Integration, Mode::Test).await;
        weak.customer(&integration, "old@example.com", Some("an old and long password")).await;
        let stored = |app: &crate::harness::TestApp| {
            let db = app.state().db.clone();
            async move {
                let mut conn = db.conn().await.unwrap();
                find_credentials(&mut conn, Mode::Test, "old@example.com").await.unwrap().unwrap().password_hash.unwrap()
            }
        };
        assert!(stored(&app).await.contains("m=8192"), "made with the weak costs");
        let shop = app.credential(Role::SalesChannel, Mode::Test).await;
        let (status, _) = app.login(&shop, "old@example.com", "an old and long password").await;
        assert_eq!(status, 200);
        assert!(stored(&app).await.contains("m=19456"), "rehashed with today's costs at login");
        let (status, _) = app.login(&shop, "old@example.com", "an old and long password").await;
        assert_eq!(status, 200, "the new hash holds the same password");
    }
}
