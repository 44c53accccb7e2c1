//! The web UI's security properties through the real router, in-process.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use lodestar_domain::text::{Email, ExternalId, Name};
use lodestar_domain::user::UserFields;
use lodestar_domain::vocabulary::Role;
use lodestar_store::testing::TestDb;
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery";

struct Web {
    app: Router,
    db: TestDb,
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Reply {
    fn cookie(&self) -> Option<String> {
        let set = self.headers.get(header::SET_COOKIE)?.to_str().ok()?;
        Some(set.split(';').next()?.to_owned())
    }
}

impl Web {
    async fn new() -> Web {
        let db = TestDb::sqlite().await;
        Web {
            app: lodestar_server::app(db.store.clone()),
            db,
        }
    }

    async fn user(&self, email: &str, role: Role) {
        let fields = UserFields {
            email: Email::parse(email).unwrap(),
            name: Name::parse(email).unwrap(),
            role,
            manager_id: None,
            capacity: None,
        };
        let u = self.db.store.create_user(fields.validate(None).unwrap()).await.unwrap();
        let hash = lodestar_server::password::hash(PASSWORD).unwrap();
        self.db.store.set_password_hash(u.id, &hash).await.unwrap();
    }

    async fn request(
        &self,
        method: &str,
        uri: &str,
        cookie: Option<&str>,
        origin: Option<&str>,
        form: Option<&str>,
    ) -> Reply {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::HOST, "lodestar.test");
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
        let res = self.app.clone().oneshot(req).await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        let body = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
        Reply { status, headers, body }
    }

    async fn sign_in(&self, email: &str, password: &str, cookie: Option<&str>) -> Reply {
        let form = format!("email={email}&password={}&next=/accounts", password.replace(' ', "+"));
        self.request("POST", "/sign-in", cookie, Some("http://lodestar.test"), Some(&form))
            .await
    }
}

#[tokio::test]
async fn sign_in_sets_a_protected_cookie_and_never_reveals_who_exists() {
    let web = Web::new().await;
    web.user("lena@v.io", Role::Leader).await;
    let ok = web.sign_in("lena@v.io", PASSWORD, None).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let set = ok.headers[header::SET_COOKIE].to_str().unwrap();
    for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attr), "{attr} missing in {set}");
    }
    let wrong = web.sign_in("lena@v.io", "wrong password!", None).await;
    let unknown = web.sign_in("ghost@v.io", "wrong password!", None).await;
    assert_eq!(
        (wrong.status, unknown.status),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert!(wrong.body.contains("Email or password is wrong.") && unknown.body.contains("Email or password is wrong."));
    assert!(wrong.cookie().is_none());
}

#[tokio::test]
async fn repeated_failures_are_throttled_for_known_and_unknown_emails_alike() {
    let web = Web::new().await;
    web.user("lena@v.io", Role::Leader).await;
    for email in ["lena@v.io", "ghost@v.io"] {
        for _ in 0..5 {
            assert_eq!(
                web.sign_in(email, "wrong password!", None).await.status,
                StatusCode::UNAUTHORIZED
            );
        }
        let blocked = web.sign_in(email, PASSWORD, None).await;
        assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS, "{email}");
        assert_eq!(blocked.headers["retry-after"], "900");
        assert!(blocked.cookie().is_none(), "even the right password waits");
    }
}

#[tokio::test]
async fn sessions_rotate_at_sign_in_and_end_at_sign_out() {
    let web = Web::new().await;
    web.user("lena@v.io", Role::Leader).await;
    let first = web.sign_in("lena@v.io", PASSWORD, None).await.cookie().unwrap();
    assert_eq!(
        web.request("GET", "/accounts", Some(&first), None, None).await.status,
        StatusCode::OK
    );
    let second = web.sign_in("lena@v.io", PASSWORD, Some(&first)).await.cookie().unwrap();
    assert_ne!(first, second, "a new session id at every sign-in");
    let old = web.request("GET", "/accounts", Some(&first), None, None).await;
    assert_eq!(old.status, StatusCode::SEE_OTHER, "the old session ended");
    assert_eq!(old.headers[header::LOCATION], "/sign-in?next=/accounts");
    let out = web
        .request(
            "POST",
            "/sign-out",
            Some(&second),
            Some("http://lodestar.test"),
            Some(""),
        )
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(out.headers[header::SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(
        web.request("GET", "/accounts", Some(&second), None, None).await.status,
        StatusCode::SEE_OTHER
    );
    let api = web.request("GET", "/api/v1/accounts", Some(&second), None, None).await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let web = Web::new().await;
    web.user("lena@v.io", Role::Leader).await;
    let cookie = web.sign_in("lena@v.io", PASSWORD, None).await.cookie().unwrap();
    let evil = web
        .request(
            "POST",
            "/sign-out",
            Some(&cookie),
            Some("https://evil.example"),
            Some(""),
        )
        .await;
    assert_eq!(evil.status, StatusCode::FORBIDDEN);
    let no_origin = web
        .request("POST", "/sign-in", None, None, Some("email=lena@v.io&password=x"))
        .await;
    assert_eq!(no_origin.status, StatusCode::FORBIDDEN, "login CSRF too");
    assert_eq!(
        web.request("GET", "/accounts", Some(&cookie), None, None).await.status,
        StatusCode::OK,
        "still signed in"
    );
}

#[tokio::test]
async fn pages_show_only_what_the_viewer_may_do_and_refuse_the_rest() {
    let web = Web::new().await;
    web.user("vera@v.io", Role::Viewer).await;
    web.user("lena@v.io", Role::Leader).await;
    let account = lodestar_domain::account::AccountFields {
        external_id: ExternalId::parse("acme").unwrap(),
        name: Name::parse("Acme").unwrap(),
        domain: None,
        industry: None,
        employees: None,
        region: None,
        lifecycle_stage: "adopt".parse().unwrap(),
        tier: None,
        owner_id: None,
        ae_id: None,
        sponsor_id: None,
        growth_potential: None,
        engagement_preference: None,
        launch_date: None,
        first_value_date: None,
        parent_id: None,
        custom_fields: Default::default(),
    };
    let id = web
        .db
        .store
        .create_account(account.validate(None).unwrap())
        .await
        .unwrap()
        .account
        .id
        .0;
    let vera = web.sign_in("vera@v.io", PASSWORD, None).await.cookie().unwrap();
    let page = web
        .request("GET", &format!("/accounts/{id}"), Some(&vera), None, None)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Acme") && !page.body.contains("edit-account"),
        "no edit control for a viewer"
    );
    let csp = page.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(
        web.request("GET", &format!("/accounts/{id}/edit"), Some(&vera), None, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let forced = web
        .request("POST", &format!("/accounts/{id}/edit"), Some(&vera), Some("http://lodestar.test"),
            Some("name=Hijacked&domain=&industry=&employees=&region=&lifecycle_stage=adopt&tier=&growth_potential=&engagement_preference=&launch_date=&first_value_date="))
        .await;
    assert_eq!(forced.status, StatusCode::FORBIDDEN);
    assert_eq!(
        web.db
            .store
            .account_summary(lodestar_domain::AccountId(id))
            .await
            .unwrap()
            .unwrap()
            .account
            .fields
            .name
            .as_str(),
        "Acme"
    );

    let lena = web.sign_in("lena@v.io", PASSWORD, None).await.cookie().unwrap();
    assert!(
        web.request("GET", &format!("/accounts/{id}"), Some(&lena), None, None)
            .await
            .body
            .contains("edit-account")
    );
    let bad = web
        .request("POST", &format!("/accounts/{id}/edit"), Some(&lena), Some("http://lodestar.test"),
            Some("name=&domain=not+a+domain&industry=&employees=-3&region=&lifecycle_stage=adopt&tier=&growth_potential=&engagement_preference=&launch_date=&first_value_date="))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["error-name", "error-domain", "error-employees"] {
        assert!(bad.body.contains(field), "{field} shown next to its field");
    }
}

#[tokio::test]
async fn only_admins_manage_users_and_tokens() {
    let web = Web::new().await;
    web.user("ada@v.io", Role::Admin).await;
    web.user("lena@v.io", Role::Leader).await;
    let ada = web.sign_in("ada@v.io", PASSWORD, None).await.cookie().unwrap();
    let lena = web.sign_in("lena@v.io", PASSWORD, None).await.cookie().unwrap();
    let origin = Some("http://lodestar.test");
    for path in ["/admin/users", "/admin/tokens"] {
        assert_eq!(
            web.request("GET", path, Some(&lena), None, None).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
        assert_eq!(
            web.request("GET", path, Some(&ada), None, None).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
    assert_eq!(
        web.request("POST", "/admin/tokens", Some(&lena), origin, Some("name=x&role=admin"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let created = web
        .request(
            "POST",
            "/admin/tokens",
            Some(&ada),
            origin,
            Some("name=CRM+sync&role=viewer"),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK);
    assert_eq!(created.headers[header::CACHE_CONTROL], "no-store");
    let secret = created
        .body
        .split("<pre class=\"secret\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    assert!(secret.starts_with("lst_"));
    let again = web.request("GET", "/admin/tokens", Some(&ada), None, None).await;
    assert!(!again.body.contains(&secret), "the secret is shown only once");
    let id = web.db.store.tokens().await.unwrap()[0].id;
    web.request(
        "POST",
        &format!("/admin/tokens/{id}/revoke"),
        Some(&ada),
        origin,
        Some(""),
    )
    .await;
    assert!(web.db.store.tokens().await.unwrap()[0].revoked_at.is_some());

    let short = web
        .request(
            "POST",
            "/admin/users",
            Some(&ada),
            origin,
            Some("email=new@v.io&name=New&role=csm&password=short"),
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.body.contains("at least 12 characters"));
    let added = web
        .request(
            "POST",
            "/admin/users",
            Some(&ada),
            origin,
            Some("email=new@v.io&name=New+Person&role=csm&password=long+enough+secret"),
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    assert_eq!(
        web.sign_in("new@v.io", "long enough secret", None).await.status,
        StatusCode::SEE_OTHER,
        "the new person can sign in"
    );
}
