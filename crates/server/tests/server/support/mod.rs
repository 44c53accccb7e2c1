//! The one harness of the server's tests: the real router in-process on a test database, users
//! with a password and an API token, and requests as the API, the web UI or a Segment client
//! sends them. Each test file includes it with `mod support;`.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use lodestar_domain::UserId;
use lodestar_domain::text::{Email, Name};
use lodestar_domain::user::UserFields;
use lodestar_domain::vocabulary::{Role, TokenScope};
use lodestar_server::ServerConfig;
use lodestar_store::Store;
use lodestar_store::testing::TestDb;
use serde_json::Value;
use tower::ServiceExt;

/// Every test user's password.
pub const PASSWORD: &str = "correct horse battery";
/// The host every request names (web requests also send it as their origin).
pub const HOST: &str = "lodestar.test";
/// The site itself, as a browser names it in a form's Origin header.
pub const ORIGIN: &str = "http://lodestar.test";

pub struct TestApp {
    pub app: Router,
    pub store: Store,
    pub db: TestDb,
}

/// An answer, read whole: its JSON (`Null` when it is not JSON) and its text.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub content_type: String,
    pub body: Value,
    pub text: String,
}

impl Reply {
    /// The session cookie it sets, as a `Cookie` header value.
    pub fn cookie(&self) -> Option<String> {
        let set = self.headers.get(header::SET_COOKIE)?.to_str().ok()?;
        Some(set.split(';').next()?.to_owned())
    }
}

impl TestApp {
    /// The app on a fresh SQLite database.
    pub async fn new() -> TestApp {
        TestApp::on(TestDb::sqlite().await).await
    }

    pub async fn on(db: TestDb) -> TestApp {
        TestApp::with_app(db, |store| lodestar_server::app(store, ServerConfig::default())).await
    }

    /// The app `app` builds on `db`'s store (tests that set ingestion bounds build their own).
    pub async fn with_app(db: TestDb, app: impl FnOnce(Store) -> Router) -> TestApp {
        TestApp {
            app: app(db.store.clone()),
            store: db.store.clone(),
            db,
        }
    }

    /// A user of `role` who signs in with [`PASSWORD`].
    pub async fn user(&self, email: &str, role: Role) -> UserId {
        let id = self.user_without_password(email, role).await;
        let hash = lodestar_server::password::hash(PASSWORD).unwrap();
        self.store.set_password_hash(id, &hash).await.unwrap();
        id
    }

    /// A user of `role` who cannot sign in (hashing a password takes a while in a debug build).
    async fn user_without_password(&self, email: &str, role: Role) -> UserId {
        let fields = UserFields {
            email: Email::parse(email).unwrap(),
            name: Name::parse(email).unwrap(),
            role,
            manager_id: None,
            capacity: None,
        };
        self.store.create_user(fields.validate(None).unwrap()).await.unwrap().id
    }

    /// A user of `role` and an API token acting as them.
    pub async fn api_user(&self, email: &str, role: Role) -> (UserId, String) {
        let id = self.user_without_password(email, role).await;
        (id, self.token_for(id, role).await)
    }

    /// An API token acting as user `id`, whose role is `role`.
    pub async fn token_for(&self, id: UserId, role: Role) -> String {
        let name = Name::parse("test").unwrap();
        lodestar_server::auth::issue_token(&self.store, &name, role, Some(id), TokenScope::Api)
            .await
            .unwrap()
            .1
    }

    /// An API call: JSON in and out, with a Bearer token when given.
    pub async fn send(&self, method: &str, uri: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        self.exchange(req).await
    }

    /// A browser's request: a page (GET) or a form post, with the session cookie and the
    /// origin when given.
    pub async fn browse(
        &self,
        method: &str,
        uri: &str,
        cookie: Option<&str>,
        origin: Option<&str>,
        form: Option<&str>,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(uri).header(header::HOST, HOST);
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        if let Some(o) = origin {
            req = req.header(header::ORIGIN, o);
        }
        let req = match form {
            Some(f) => req
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(f.to_owned())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        self.exchange(req).await
    }

    /// Posts the sign-in form from this site.
    pub async fn sign_in(&self, email: &str, password: &str, cookie: Option<&str>) -> Reply {
        let form = format!("email={email}&password={}&next=/accounts", password.replace(' ', "+"));
        self.browse("POST", "/sign-in", cookie, Some(&format!("http://{HOST}")), Some(&form))
            .await
    }

    /// Signs `email` in; the session cookie.
    pub async fn session(&self, email: &str) -> String {
        let reply = self.sign_in(email, PASSWORD, None).await;
        reply
            .cookie()
            .unwrap_or_else(|| panic!("{email} could not sign in: {}", reply.status))
    }

    /// Sends one request through the router and reads the whole answer.
    pub async fn exchange(&self, request: Request<Body>) -> Reply {
        let res = self.app.clone().oneshot(request).await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            content_type,
            body,
            text,
        }
    }
}

/// Creates an account through the API; its id.
pub async fn create_account(api: &TestApp, token: &str, body: Value) -> i64 {
    let created = api.send("POST", "/api/v1/accounts", Some(token), Some(body)).await;
    created.body["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("not created: {:?}", created.body))
}

/// An enterprise account's JSON, owned by `owner`.
pub fn account(key: &str, owner: Option<UserId>) -> Value {
    serde_json::json!({"external_id": key, "name": format!("Account {key}"), "tier": "enterprise", "owner_id": owner.map(|o| o.0)})
}
