//! The real server on `127.0.0.1:0` with a fresh database per test, on SQLite or PostgreSQL,
//! and a real HTTP client.
//!
//! PostgreSQL is `postgres://postgres@127.0.0.1:5432` unless `CALLFLOW_TEST_POSTGRES_URL` says
//! otherwise. When it is unreachable the PostgreSQL half is skipped with a notice, except under
//! `CI=true`, where that is a failure.

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use server::app::Running;
use server::config::{Config, Overrides};
use server::store::{now_ms, Backend, Flow, FlowVersion, NewFlow, Role, Store, TenantSettings};
use sqlx::Connection;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// A running server with its own database.
pub struct TestApp {
    pub address: SocketAddr,
    pub client: reqwest::Client,
    pub store: Store,
    pub config: Config,
    running: Option<Running>,
}

/// A signed-in person: the session cookie to send, and its CSRF token for writes.
pub struct Person {
    pub cookie: String,
    pub csrf: String,
}

/// A tenant made for a test, with an owner API key.
pub struct TestTenant {
    pub id: String,
    pub owner_key: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Calls the API under `/api/v1` with an API key: the status, and the body as JSON
    /// (`null` when empty).
    pub async fn api(
        &self,
        method: reqwest::Method,
        key: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let request = self
            .client
            .request(method, self.url(&format!("/api/v1{path}")))
            .bearer_auth(key);
        answer(request, body).await
    }

    /// Calls the API under `/api/v1` as a signed-in person (their cookie and CSRF token): the
    /// status, and the body as JSON (`null` when empty).
    pub async fn as_person(
        &self,
        who: &Person,
        method: reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let request = self
            .client
            .request(method, self.url(&format!("/api/v1{path}")))
            .header("cookie", &who.cookie)
            .header("x-csrf-token", &who.csrf);
        answer(request, body).await
    }

    /// Makes a tenant and an owner API key directly in the store.
    pub async fn tenant(&self, name: &str) -> TestTenant {
        let slug = format!(
            "{}-{}",
            name.to_lowercase().replace(' ', "-"),
            uuid::Uuid::new_v4().simple()
        );
        let mut transaction = self.store.transaction().await.expect("transaction");
        let tenant = transaction
            .create_tenant(name, &slug, &TenantSettings::default(), now_ms())
            .await
            .expect("create tenant");
        transaction.commit().await.expect("commit");
        let owner_key = self.key(&tenant.id, Role::Owner).await;
        TestTenant {
            id: tenant.id,
            owner_key,
        }
    }

    /// A new tenant with the knowledge bases the example flows answer from (`shop-faq`,
    /// `shop-faq-en`), seeded as the demo tenant's are, and no agent queues: their transfers
    /// are answered at once, as for a shop without people in the console.
    pub async fn tenant_with_example_knowledge(&self, name: &str) -> TestTenant {
        let tenant = self.tenant(name).await;
        server::demo::first_run::seed_knowledge_bases(
            &self.store,
            &tenant.id,
            &server::demo::first_run::knowledge_files(),
        )
        .await
        .expect("seed the example knowledge bases");
        tenant
    }

    /// A new tenant with everything the example flows name, seeded as the demo tenant's is:
    /// the knowledge bases and the agent queues. Example flows validate there without a
    /// warning, and their transfers wait for a person.
    pub async fn tenant_for_examples(&self, name: &str) -> TestTenant {
        let tenant = self.tenant_with_example_knowledge(name).await;
        server::demo::first_run::seed_queues(&self.store, &tenant.id)
            .await
            .expect("seed the example queues");
        tenant
    }

    /// Changes the tenant's settings directly in the store (as an owner would in its settings).
    pub async fn change_settings(&self, tenant_id: &str, change: impl FnOnce(&mut TenantSettings)) {
        let tenant = self
            .store
            .get_tenant(tenant_id)
            .await
            .expect("read tenant")
            .expect("the tenant exists");
        let mut settings = tenant.settings;
        change(&mut settings);
        let mut transaction = self.store.transaction().await.expect("transaction");
        transaction
            .update_tenant(tenant_id, &tenant.name, &settings)
            .await
            .expect("update tenant")
            .expect("the tenant exists");
        transaction.commit().await.expect("commit");
    }

    /// An API key of the given role for the tenant.
    /// A new user of the tenant, signed in: their session cookie and its CSRF token.
    pub async fn person(&self, tenant_id: &str, email: &str, name: &str, role: Role) -> Person {
        let password = "correct horse battery staple";
        let mut transaction = self.store.transaction().await.expect("transaction");
        transaction
            .create_user(
                tenant_id,
                &server::store::NewUser {
                    email,
                    display_name: name,
                    password,
                    role,
                },
                now_ms(),
            )
            .await
            .expect("user");
        transaction.commit().await.expect("commit");
        let login = self
            .client
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send()
            .await
            .expect("login");
        assert_eq!(login.status(), 200);
        let cookie = login.headers()["set-cookie"]
            .to_str()
            .expect("cookie")
            .split(';')
            .next()
            .expect("name=value")
            .to_owned();
        let body: serde_json::Value = login.json().await.expect("login body");
        Person {
            cookie,
            csrf: body["csrf_token"].as_str().expect("csrf token").to_owned(),
        }
    }

    pub async fn key(&self, tenant_id: &str, role: Role) -> String {
        let mut transaction = self.store.transaction().await.expect("transaction");
        let created = transaction
            .create_api_key(tenant_id, &format!("{role} key"), role, None, now_ms())
            .await
            .expect("create key");
        transaction.commit().await.expect("commit");
        created.token
    }

    /// Creates a flow named `name` from `document` and publishes it as version 1, straight in
    /// the store: the document is not validated, so tests can run flows the API would refuse.
    pub async fn published_flow(
        &self,
        tenant_id: &str,
        name: &str,
        document: &serde_json::Value,
    ) -> (Flow, FlowVersion) {
        let mut transaction = self.store.transaction().await.expect("transaction");
        let new = NewFlow {
            name,
            draft: document,
        };
        let flow = transaction
            .create_flow(tenant_id, &new, now_ms())
            .await
            .expect("create flow");
        let version = transaction
            .publish_flow(tenant_id, &flow.id, flow.revision, "test", "test", now_ms())
            .await
            .expect("publish")
            .expect("published");
        transaction.commit().await.expect("commit");
        (flow, version)
    }

    /// Makes every audit write fail from now on, as a full disk or a lost connection would:
    /// behind the server's back, with a trigger on the audit log.
    pub async fn refuse_audit_writes(&self) {
        let statements: &[&str] = match self.store.backend() {
            Backend::Sqlite => &["CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log \
                 BEGIN SELECT RAISE(ABORT, 'audit refused'); END"],
            Backend::Postgres => &[
                "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql \
                 AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$",
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log \
                 FOR EACH ROW EXECUTE FUNCTION refuse_audit()",
            ],
        };
        sqlx::any::install_default_drivers();
        let mut connection = sqlx::AnyConnection::connect(&self.config.database_url)
            .await
            .expect("a connection of its own");
        for statement in statements {
            sqlx::query(statement)
                .execute(&mut connection)
                .await
                .expect("the trigger is made");
        }
        let _ = connection.close().await;
    }

    /// The running server's state, for what a test does as the server itself would.
    pub fn state(&self) -> &server::state::AppState {
        &self.running.as_ref().expect("the server runs").state
    }

    /// Stops the server (finishing requests in flight) and starts it again on the same
    /// database and address, as a restart would.
    pub async fn restart(&mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.expect("stops");
        }
        let mut config = self.config.clone();
        config.listen = self.address;
        let running = server::app::start(&config).await.expect("restarts");
        self.store = running.state.store.clone();
        self.running = Some(running);
    }

    /// Changes the server's configuration and restarts it on the same database and address
    /// (to point it at local fakes of its providers, say).
    pub async fn reconfigure(&mut self, change: impl FnOnce(&mut Config)) {
        change(&mut self.config);
        self.restart().await;
    }

    async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            let store = running.state.store.clone();
            let _ = running.stop().await;
            store.close().await;
        }
    }
}

async fn start(database_url: String, data_dir: PathBuf) -> TestApp {
    let config = Config::resolve(Overrides {
        listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        data_dir: Some(data_dir),
        database_url: Some(database_url),
        // The demo tenant's past calls would be in every test's figures; the tests of that
        // history play it themselves.
        without_demo_history: true,
        ..Overrides::default()
    })
    .expect("config");
    let running = server::app::start(&config)
        .await
        .expect("the server starts");
    TestApp {
        address: running.address,
        client: reqwest::Client::new(),
        store: running.state.store.clone(),
        config,
        running: Some(running),
    }
}

/// Sends a request with a JSON body, if any: the status, and the body as JSON (`null` when
/// empty).
async fn answer(
    mut request: reqwest::RequestBuilder,
    body: Option<&serde_json::Value>,
) -> (u16, serde_json::Value) {
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let value = if text.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    };
    (status, value)
}

type Panic = Box<dyn std::any::Any + Send>;

async fn run<F, Fut>(app: TestApp, test: F) -> Result<(), Panic>
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = TestApp> + Send + 'static,
{
    // In a task of its own, so a failed assertion still lets the caller drop the database.
    match tokio::spawn(test(app)).await {
        Ok(app) => {
            app.stop().await;
            Ok(())
        }
        Err(error) => Err(error.into_panic()),
    }
}

/// Runs `test` against a fresh server on the given database. The test hands the app back so it
/// can be stopped cleanly.
pub async fn with_app<F, Fut>(db: Db, test: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = TestApp> + Send + 'static,
{
    let directory = tempfile::tempdir().expect("temporary directory");
    match db {
        Db::Sqlite => {
            let url = Store::sqlite_url(&directory.path().join("callflow.db"));
            let app = start(url, directory.path().to_path_buf()).await;
            if let Err(panic) = run(app, test).await {
                std::panic::resume_unwind(panic);
            }
        }
        Db::Postgres => {
            let server_url = std::env::var("CALLFLOW_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned());
            let server_url = server_url.trim_end_matches('/').to_owned();
            let mut admin = match sqlx::PgConnection::connect(&format!("{server_url}/postgres"))
                .await
            {
                Ok(connection) => connection,
                Err(error) if std::env::var("CI").as_deref() == Ok("true") => {
                    panic!("PostgreSQL at {server_url} is required under CI=true: {error}")
                }
                Err(error) => {
                    let _ = writeln!(
                        std::io::stderr(),
                        "!!!!!!!! SKIPPING a PostgreSQL API test: {server_url} is unreachable ({error}); under CI=true this fails"
                    );
                    return;
                }
            };
            let database = format!("callflow_e2e_{}", uuid::Uuid::new_v4().simple());
            sqlx::query(&format!("CREATE DATABASE {database}"))
                .execute(&mut admin)
                .await
                .expect("create test database");
            let app = start(
                format!("{server_url}/{database}"),
                directory.path().to_path_buf(),
            )
            .await;
            let outcome = run(app, test).await;
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
                .execute(&mut admin)
                .await;
            if let Err(panic) = outcome {
                std::panic::resume_unwind(panic);
            }
        }
    }
}

/// Declares each `async fn name(app: TestApp) -> TestApp` test once per database, as
/// `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::app::with_app($crate::app::Db::Sqlite, super::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::app::with_app($crate::app::Db::Postgres, super::$name).await;
                }
            )*
        }
    };
}
