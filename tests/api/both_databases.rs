//! `on_both_databases!`: one test body, run on SQLite and again on PostgreSQL.

/// Declares tests that run once on SQLite and once on PostgreSQL (when configured).
/// Each becomes a module named after the test, with `on_sqlite` and `on_postgres` inside.
///
/// Two forms, mixed freely in one block (doc comments before either are kept):
/// - `async fn name(app: TestApp) { .. }` gets a service started on a fresh database;
///   `#[config(|c| ...)]` before it adjusts that service's configuration (as
///   [`TestApp::spawn_with`] does) on both databases.
/// - `async fn name(backend: Backend) { .. }` gets only the backend, for tests that start
///   their own services (several instances, the real binary, a configuration of their
///   own); such a test returns early when `TestApp::spawn_with` gives None (PostgreSQL
///   not configured).
macro_rules! on_both_databases {
    () => {};
    // One test's module: its items define `run(backend)`, which both tests call.
    (@module [$(#[doc = $doc:literal])*] $name:ident $($item:item)*) => {
        $(#[doc = $doc])*
        mod $name {
            #[allow(
                unused_imports,
                reason = "some tests use their file's items and some do not: an expect would fail for the latter"
            )]
            use super::*;

            $($item)*

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                run($crate::harness::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                run($crate::harness::Backend::Postgres).await
            }
        }
    };
    (
        $(#[doc = $doc:literal])*
        $(#[config($adjust:expr)])?
        async fn $name:ident($app:ident: TestApp) $body:block
        $($rest:tt)*
    ) => {
        $crate::harness::on_both_databases! { @module [$(#[doc = $doc])*] $name
            async fn test($app: $crate::harness::TestApp) $body

            fn adjust(_config: &mut reset_gateway::config::Config) {
                $(
                    // Typed here so that a closure needs no annotation.
                    let adjust: fn(&mut reset_gateway::config::Config) = $adjust;
                    adjust(_config);
                )?
            }

            async fn run(backend: $crate::harness::Backend) {
                match $crate::harness::TestApp::spawn_with(backend, adjust).await {
                    Some(app) => test(app).await,
                    None => assert_eq!(backend, $crate::harness::Backend::Postgres, "SQLite always starts"),
                }
            }
        }
        $crate::harness::on_both_databases! { $($rest)* }
    };
    (
        $(#[doc = $doc:literal])*
        async fn $name:ident($backend:ident: Backend) $body:block
        $($rest:tt)*
    ) => {
        $crate::harness::on_both_databases! { @module [$(#[doc = $doc])*] $name
            async fn run($backend: $crate::harness::Backend) $body
        }
        $crate::harness::on_both_databases! { $($rest)* }
    };
}
pub(crate) use on_both_databases;
