//! PostgreSQL over TLS: `sslmode=require` encrypts, `verify-full` also checks the server's
//! certificate and name. The local Debian PostgreSQL serves TLS with its snakeoil
//! certificate (CN=localhost); LODESTAR_TEST_POSTGRES_CA names another CA file.

use lodestar_store::Store;
use lodestar_store::testing::query_strings;

const SNAKEOIL: &str = "/etc/ssl/certs/ssl-cert-snakeoil.pem";

/// The test server's URL with `host` and TLS parameters, or `None` (with a loud note) when
/// PostgreSQL tests are off or no CA file is known.
fn url_with(host: &str, params: &str) -> Option<String> {
    let base = std::env::var("LODESTAR_TEST_POSTGRES_URL").ok()?;
    let ca = std::env::var("LODESTAR_TEST_POSTGRES_CA").unwrap_or_else(|_| SNAKEOIL.into());
    if !std::path::Path::new(&ca).exists() {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "CI=true but the PostgreSQL CA file {ca} is missing"
        );
        eprintln!("*** PostgreSQL TLS test SKIPPED: no CA file {ca} ***");
        return None;
    }
    let (scheme, rest) = base.split_once("://")?;
    let (credentials, after) = rest.split_once('@').map_or(("", rest), |(c, a)| (c, a));
    let path = after.split_once('/').map_or("", |(_, p)| p);
    let at = if credentials.is_empty() { "" } else { "@" };
    let params = params.replace("{ca}", &ca);
    Some(format!("{scheme}://{credentials}{at}{host}:5432/{path}?{params}"))
}

async fn uses_tls(store: &Store) -> bool {
    query_strings(store, "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()").await == ["true"]
}

#[tokio::test]
async fn postgres_connections_use_tls_and_verify_the_server_when_asked() {
    let Some(required) = url_with("127.0.0.1", "sslmode=require") else {
        return;
    };
    let store = Store::connect(&required).await.expect("sslmode=require connects");
    assert!(uses_tls(&store).await, "sslmode=require encrypts");
    store.close().await;

    let verified = url_with("localhost", "sslmode=verify-full&sslrootcert={ca}").unwrap();
    let store = Store::connect(&verified)
        .await
        .expect("verify-full connects to the certificate's name");
    assert!(uses_tls(&store).await);
    store.close().await;

    let wrong_name = url_with("127.0.0.1", "sslmode=verify-full&sslrootcert={ca}").unwrap();
    let refused = Store::connect(&wrong_name)
        .await
        .err()
        .expect("a name the certificate lacks is refused");
    assert!(refused.to_string().to_lowercase().contains("certificate"), "{refused}");

    let plain = url_with("127.0.0.1", "sslmode=disable").unwrap();
    let store = Store::connect(&plain).await.unwrap();
    assert!(!uses_tls(&store).await, "the check can tell");
    store.close().await;
}
