//! The tables, written once for both backends: text ids, `Timestamp` kept in UTC, JSON as text.

diesel::table! {
    api_credentials (id) {
        id -> Text,
        name -> Text,
        role -> Text,
        mode -> Text,
        secret_digest -> Nullable<Text>,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    customers (id) {
        id -> Text,
        mode -> Text,
        email -> Text,
        password_hash -> Nullable<Text>,
        reference -> Nullable<Text>,
        reference_origin -> Nullable<Text>,
        metadata -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        password_version -> Integer,
    }
}

diesel::table! {
    customer_sessions (id) {
        id -> Text,
        customer_id -> Text,
        credential_id -> Text,
        refresh_token_digest -> Text,
        refresh_expires_at -> Timestamp,
        created_at -> Timestamp,
        password_version -> Integer,
    }
}

diesel::table! {
    customer_session_rotated_tokens (digest) {
        digest -> Text,
        session_id -> Text,
        rotated_at -> Timestamp,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Text,
        expires_at -> Timestamp,
        revoked_at -> Timestamp,
    }
}

diesel::table! {
    rate_limits (bucket) {
        bucket -> Text,
        hits -> Integer,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    settings (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    customer_password_resets (id) {
        id -> Text,
        mode -> Text,
        customer_id -> Text,
        customer_email -> Text,
        token_digest -> Text,
        expires_at -> Timestamp,
        reset_password_at -> Nullable<Timestamp>,
        failed_attempts -> Integer,
        reference -> Nullable<Text>,
        reference_origin -> Nullable<Text>,
        metadata -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Text,
        mode -> Text,
        name -> Text,
        topic -> Text,
        callback_url -> Text,
        include_resources -> Text,
        shared_secret -> Text,
        previous_shared_secret -> Nullable<Text>,
        previous_secret_expires_at -> Nullable<Timestamp>,
        disabled_at -> Nullable<Timestamp>,
        circuit_state -> Text,
        circuit_failure_count -> Integer,
        reference -> Nullable<Text>,
        reference_origin -> Nullable<Text>,
        metadata -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    event_callbacks (id) {
        id -> Text,
        webhook_id -> Text,
        topic -> Text,
        callback_url -> Text,
        response_code -> Nullable<Integer>,
        response_message -> Text,
        attempt -> Integer,
        created_at -> Timestamp,
        delivery_id -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        webhook_id -> Text,
        mode -> Text,
        topic -> Text,
        resource_id -> Text,
        payload -> Text,
        sealed_token -> Nullable<Text>,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        round_started_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        settled_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(event_callbacks -> webhooks (webhook_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(customer_password_resets -> customers (customer_id));
diesel::joinable!(customer_sessions -> customers (customer_id));
diesel::joinable!(customer_sessions -> api_credentials (credential_id));
diesel::joinable!(customer_session_rotated_tokens -> customer_sessions (session_id));
diesel::allow_tables_to_appear_in_same_query!(
    api_credentials,
    customers,
    customer_password_resets,
    customer_sessions,
    customer_session_rotated_tokens,
    rate_limits,
    revoked_tokens,
    settings,
    webhooks,
    webhook_deliveries,
    event_callbacks,
);
