//! First run: on a database without tenants, the server creates the demo tenant ("Demo Shop" /
//! 演示商城, slug `demo`) with the eight example flows published, an owner user and an owner API
//! key, so that a fresh install can be tried at once.
//!
//! [`run`] returns the new credentials instead of printing them; the caller shows them (once)
//! and [`FirstRunCredentials`]'s `Display` is the text to show. They are also written to
//! `<data_dir>/first-run.txt`, readable only by the server's user, when the data directory
//! exists, so someone who missed the console output can still find them.
//!
//! The demo tenant also gets a knowledge base from each `flows/knowledge/<name>.<language>.csv`
//! embedded in the binary (see [`seed_knowledge_bases`]).
//!
//! With any tenant present it does nothing. Two servers starting against the same fresh
//! database race on the tenant's unique slug: the loser sees the conflict and does nothing.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};

use rand::RngCore;
use serde_json::Value;

use crate::channels::widget::channels::new_identity_secret;
use crate::secrets::ServerKey;
use crate::store::{
    constraint, now_ms, Actor, ChannelFields, CustomerLookupRow, NewFlow, NewUser, QueueRow, Role,
    Store, StoreError, TenantSettings, WidgetLanguage,
};

/// The demo shop API's base URL (`tenant.api` of the demo tenant). Flows' requests to it are
/// answered in process by the built-in demo shop ([`super::shop`]), from their tenant's ledger.
pub const DEMO_SHOP_BASE: &str = "http://demo-shop.internal/api";
pub const DEMO_TENANT_NAME: &str = "Demo Shop";
pub const DEMO_TENANT_SLUG: &str = "demo";
/// The demo owner's login. `.test` is reserved (RFC 2606): it never reaches a real mailbox.
pub const DEMO_OWNER_EMAIL: &str = "owner@demo.callflow.test";
/// The demo shop is a Chinese shop: the names it makes for people to read are Chinese.
pub const DEMO_OWNER_NAME: &str = "演示店主";
pub const DEMO_API_KEY_NAME: &str = "首次启动生成的所有者密钥";
/// The name earlier versions gave the first run's key, so that a first run cut off under one
/// of them still has its unshown key revoked.
const EARLIER_DEMO_API_KEY_NAME: &str = "first-run owner key";
/// The note of each example flow's version 1.
pub const EXAMPLE_FLOW_NOTE: &str = "示例流程 / example flow";
/// The file in the data directory that keeps the first run's credentials.
pub const CREDENTIALS_FILE: &str = "first-run.txt";
/// Length of generated passwords.
pub const PASSWORD_LENGTH: usize = 20;

/// The example flows of `flows/`, embedded so that the binary is self-contained:
/// `(name, document)`.
pub const EXAMPLE_FLOWS: [(&str, &str); 8] = [
    (
        "order-status",
        include_str!("../../../flows/order-status.json"),
    ),
    (
        "order-status-en",
        include_str!("../../../flows/order-status-en.json"),
    ),
    (
        "returns-refunds",
        include_str!("../../../flows/returns-refunds.json"),
    ),
    (
        "birthday-care",
        include_str!("../../../flows/birthday-care.json"),
    ),
    (
        "satisfaction-survey",
        include_str!("../../../flows/satisfaction-survey.json"),
    ),
    ("shop-faq", include_str!("../../../flows/shop-faq.json")),
    ("complaints", include_str!("../../../flows/complaints.json")),
    (
        "complaints-en",
        include_str!("../../../flows/complaints-en.json"),
    ),
];

/// The audit entry that the first run writes last: its mark of having finished.
pub const FIRST_RUN_ACTION: &str = "tenant.first_run";

/// The example flow the demo's chat-widget channel talks to.
pub const DEMO_WIDGET_FLOW: &str = "order-status";
pub const DEMO_WIDGET_NAME: &str = "演示页面 / demo page";
/// Where a page to try the demo's widget may be served from, beside the server itself (README
/// "Chat widget": `python3 -m http.server 8000`).
pub const DEMO_WIDGET_PAGE_ORIGINS: [&str; 2] = ["http://127.0.0.1:8000", "http://localhost:8000"];
/// The demo shop's member a demo page signs in (张先生, see [`super::shop`]).
pub const DEMO_SIGNED_IN_MEMBER: &str = "C1001";

/// Letters and digits that cannot be mistaken for one another (no 0/O/o, 1/l/I).
const PASSWORD_ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// What the first run created, to be shown to the person who started the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirstRunCredentials {
    pub tenant_id: String,
    pub tenant_name: String,
    pub tenant_slug: String,
    /// Names of the published example flows.
    pub flows: Vec<String>,
    /// Where the server answers, e.g. `http://127.0.0.1:8080`.
    pub url: String,
    pub email: String,
    pub password: String,
    /// The owner API key's bearer token.
    pub api_key: String,
    /// The publishable key of the demo's chat-widget channel (the order-status flow).
    pub widget_key: String,
    /// The channel's identity secret and a page's signed-in member, when the first run made
    /// the channel and could seal the secret.
    pub widget_identity: Option<DemoIdentity>,
    /// Where the credentials were written, when they were.
    pub saved_to: Option<PathBuf>,
    /// Why writing them failed, when it did.
    pub save_error: Option<String>,
}

/// What a demo page needs to show a signed-in member: the channel's identity secret, and the
/// member's id with its signature (what the shop's server would compute).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoIdentity {
    pub secret: String,
    pub customer: String,
    pub signature: String,
}

impl FirstRunCredentials {
    /// The credentials block, as shown on the console and written to the file.
    fn write_credentials(&self, out: &mut impl fmt::Write) -> fmt::Result {
        writeln!(
            out,
            "First run: created the demo tenant \"{}\" (演示商城, slug {}) with {} published example flows:",
            self.tenant_name,
            self.tenant_slug,
            self.flows.len()
        )?;
        writeln!(out, "{}.", self.flows.join(", "))?;
        writeln!(out)?;
        writeln!(out, "  URL:       {}", self.url)?;
        writeln!(out, "  Email:     {}", self.email)?;
        writeln!(out, "  Password:  {}", self.password)?;
        writeln!(out, "  API key:   {}", self.api_key)?;
        writeln!(out, "  Dashboard: {}/dashboard", self.url)?;
        writeln!(
            out,
            "  Console:   {}/console (the agent console: you answer every queue)",
            self.url
        )?;
        writeln!(
            out,
            "  Widget:    {} (order-status, for pages of {} and {}; see README \"Chat widget\")",
            self.widget_key, self.url, DEMO_WIDGET_PAGE_ORIGINS[0]
        )?;
        if let Some(identity) = &self.widget_identity {
            writeln!(
                out,
                "  Identity:  {} (the widget's identity secret; a page signed in as 张先生 adds\n             \
                 data-customer=\"{}\" data-customer-signature=\"{}\")",
                identity.secret, identity.customer, identity.signature
            )?;
        }
        writeln!(out)?;
        writeln!(out, "Try the API with the key:")?;
        writeln!(
            out,
            "  curl -H \"Authorization: Bearer {}\" {}/api/v1/flows",
            self.api_key, self.url
        )?;
        writeln!(out, "Log in with the email and password:")?;
        writeln!(
            out,
            "  curl -c cookies.txt -H 'Content-Type: application/json' -d '{{\"email\":\"{}\",\"password\":\"{}\"}}' {}/api/v1/auth/login",
            self.email, self.password, self.url
        )
    }

    /// The content of [`CREDENTIALS_FILE`].
    pub fn file_text(&self) -> String {
        let mut text = String::from(
            "Callflow first-run credentials. Keep them somewhere safe, then delete this file.\n\n",
        );
        // Writing to a String cannot fail.
        let _ = self.write_credentials(&mut text);
        text
    }
}

impl fmt::Display for FirstRunCredentials {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        const RULE: &str =
            "================================================================================";
        writeln!(out, "{RULE}")?;
        self.write_credentials(out)?;
        writeln!(out)?;
        write!(out, "These credentials are shown only now")?;
        match (&self.saved_to, &self.save_error) {
            (Some(path), _) => {
                writeln!(out, ". They are also saved, readable only by this user, in")?;
                writeln!(out, "  {}", path.display())?;
                writeln!(out, "Store them somewhere safe, then delete that file.")?;
            }
            (None, Some(error)) => {
                writeln!(out, "; store them somewhere safe.")?;
                writeln!(out, "(Saving them to a file failed: {error}.)")?;
            }
            (None, None) => writeln!(out, "; store them somewhere safe.")?,
        }
        write!(out, "{RULE}")
    }
}

/// Why the first run failed.
#[derive(Debug, thiserror::Error)]
pub enum FirstRunError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("the embedded example flow {name} is not valid JSON: {detail}")]
    BadExampleFlow { name: &'static str, detail: String },
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
    #[error("the embedded knowledge base {name} cannot be seeded: {detail}")]
    BadKnowledgeFile { name: String, detail: String },
    #[error("the example flow {0} is missing")]
    MissingExampleFlow(&'static str),
    #[error("the demo widget channel's identity secret cannot be made: {0}")]
    Identity(String),
}

/// `flows/` as the binary carries it; only `knowledge/*.csv` is read from it (the example flows
/// are in [`EXAMPLE_FLOWS`]).
#[derive(rust_embed::RustEmbed)]
#[folder = "../flows/"]
struct FlowFiles;

/// The embedded knowledge-base files: `(file name, contents)`, by name.
pub fn knowledge_files() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = FlowFiles::iter()
        .filter_map(|path| {
            let name = path.strip_prefix("knowledge/")?;
            if name.contains('/') || !name.ends_with(".csv") {
                return None;
            }
            let file = FlowFiles::get(&path)?;
            Some((name.to_owned(), file.data.into_owned()))
        })
        .collect();
    files.sort();
    files
}

/// The key, language and display name of a knowledge-base file named `<name>.<language>.csv`:
/// a Chinese file's key is `<name>`, another language's `<name>-<language>` (`shop-faq.en.csv`
/// is `shop-faq-en`). Names of the demo's own bases are known; others are named by their key.
pub fn knowledge_file_base(file: &str) -> Option<(String, String, String)> {
    let stem = file.strip_suffix(".csv")?;
    let (name, language) = stem.rsplit_once('.')?;
    let key = if language.to_ascii_lowercase().starts_with("zh") {
        name.to_owned()
    } else {
        format!("{name}-{}", language.to_ascii_lowercase())
    };
    let display = match key.as_str() {
        "shop-faq" => "商城常见问题".to_owned(),
        "shop-faq-en" => "Shop FAQ".to_owned(),
        _ => key.clone(),
    };
    Some((key, language.to_owned(), display))
}

/// Creates a knowledge base from each file (see [`knowledge_file_base`]) that the tenant does not
/// have yet, or has empty (a cut-off first run), and imports the file's rows into it as one
/// revision. Rows that fail are logged and left out. Returns the keys seeded.
pub async fn seed_knowledge_bases(
    store: &Store,
    tenant_id: &str,
    files: &[(String, Vec<u8>)],
) -> Result<Vec<String>, FirstRunError> {
    use crate::knowledge::{self, import, sheet::Format};
    let actor = Actor::system(tenant_id);
    let bad = |name: &str, error: &dyn std::fmt::Display| FirstRunError::BadKnowledgeFile {
        name: name.to_owned(),
        detail: error.to_string(),
    };
    let mut seeded = Vec::new();
    for (file, bytes) in files {
        let Some((key, language, name)) = knowledge_file_base(file) else {
            tracing::warn!(
                file,
                "first run: a knowledge file not named <name>.<language>.csv is skipped"
            );
            continue;
        };
        let base = match store.get_knowledge_base(tenant_id, &key).await? {
            Some(base) if base.revision > 1 => continue,
            Some(base) => base,
            None => knowledge::create(store, &actor, &key, &name, &language, now_ms())
                .await
                .map_err(|error| bad(file, &error))?,
        };
        let report = import::import(
            store,
            &actor,
            &base.key,
            Format::Csv,
            bytes.clone(),
            import::Mode::Partial,
            now_ms(),
        )
        .await
        .map_err(|error| bad(file, &error))?;
        for row in report.rows.iter().filter(|row| row.error.is_some()) {
            let message = row.error.as_ref().map(|(_, text)| text.en.as_str());
            tracing::warn!(
                file,
                row = row.row,
                message,
                "first run: a knowledge-base row was left out"
            );
        }
        seeded.push(key);
    }
    Ok(seeded)
}

/// A password of [`PASSWORD_LENGTH`] characters from the operating system's generator, in an
/// alphabet without look-alike characters (about 115 bits).
pub fn generate_password() -> Result<String, FirstRunError> {
    // Rejection sampling keeps every character equally likely.
    let limit = u8::MAX as usize / PASSWORD_ALPHABET.len() * PASSWORD_ALPHABET.len();
    let mut password = String::with_capacity(PASSWORD_LENGTH);
    let mut buffer = [0u8; 64];
    while password.len() < PASSWORD_LENGTH {
        rand::rngs::OsRng
            .try_fill_bytes(&mut buffer)
            .map_err(|error| FirstRunError::Random(error.to_string()))?;
        for &byte in &buffer {
            if (byte as usize) < limit && password.len() < PASSWORD_LENGTH {
                password.push(char::from(
                    PASSWORD_ALPHABET[byte as usize % PASSWORD_ALPHABET.len()],
                ));
            }
        }
    }
    Ok(password)
}

/// A first run takes well under a second; one that started longer ago than this and did not
/// finish was cut off, rather than still running in another server starting at the same time.
pub const CUT_OFF_AFTER_MS: i64 = 60_000;

/// Whether `tenant` is a demo tenant whose first run was cut off: made with the demo's name and
/// settings more than [`CUT_OFF_AFTER_MS`] ago, without the first run's closing audit entry.
async fn is_unfinished_demo(
    store: &Store,
    tenant: &crate::store::Tenant,
    now_ms: i64,
) -> Result<bool, FirstRunError> {
    if tenant.name != DEMO_TENANT_NAME || tenant.settings != demo_settings() {
        return Ok(false);
    }
    let entries = store.list_audit(&tenant.id, 1_000).await?;
    if entries.iter().any(|entry| entry.action == FIRST_RUN_ACTION) {
        return Ok(false);
    }
    if now_ms - tenant.created_at < CUT_OFF_AFTER_MS {
        tracing::warn!(
            tenant = %tenant.id,
            "the demo tenant's first run has not finished; if no other server is starting, \
             start this one again in a minute to finish it"
        );
        return Ok(false);
    }
    Ok(true)
}

/// The URL a person can open for a listening address: an unspecified address (`0.0.0.0`,
/// `[::]`) is shown as the loopback address, which reaches it from the same machine.
pub fn url_for(address: SocketAddr) -> String {
    let ip = match address.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, address.port()))
}

/// The demo tenant's settings.
pub fn demo_settings() -> TenantSettings {
    TenantSettings {
        display_name: [
            ("zh-CN".to_owned(), "演示商城".to_owned()),
            ("en-US".to_owned(), DEMO_TENANT_NAME.to_owned()),
        ]
        .into_iter()
        .collect(),
        api_base_url: Some(DEMO_SHOP_BASE.to_owned()),
        allowed_hosts: Vec::new(),
        region: Some("CN".to_owned()),
        ..TenantSettings::default()
    }
}

/// On a database without tenants, creates the demo tenant and returns its credentials; with
/// any tenant present, or when another server created the demo tenant first, returns `None`.
/// A first run that was cut off (the demo tenant is there, but not the record that the first
/// run finished) is finished: missing flows are created and published, the owner gets a new
/// password and a new key, since the old ones were never shown. `address` is where the server
/// listens (for the URL shown); the credentials are written to `data_dir`/[`CREDENTIALS_FILE`]
/// when that directory exists. `history`: whether the demo's past calls are to be played
/// after it (recorded with it, so that a start after a cut-off history finishes them).
/// The demo's agent queues, as (key, Chinese name, English name): every queue the example
/// flows hand to.
const DEMO_QUEUES: [(&str, &str, &str); 6] = [
    ("after-sales", "售后", "After-sales"),
    ("orders", "订单", "Orders"),
    ("complaints", "投诉", "Complaints"),
    ("customer-service", "客服", "Customer service"),
    ("customer-care", "客户关怀", "Customer care"),
    ("member-care", "会员关怀", "Member care"),
];

/// Creates (or replaces) the queues the example flows hand to in `tenant_id`, with an audit
/// entry each: what a tenant needs before the examples publish without warnings.
/// The demo tenant's customer lookup: the demo shop's members, by phone number, by their id
/// when they chat signed in, or by visitor.
pub fn demo_customer_lookup(tenant_id: &str, now: i64) -> CustomerLookupRow {
    CustomerLookupRow {
        tenant_id: tenant_id.to_owned(),
        enabled: true,
        url: format!(
            "{DEMO_SHOP_BASE}/customers?phone={{{{phone}}}}&customer={{{{customer}}}}\
             &visitor={{{{visitor}}}}"
        ),
        headers: Default::default(),
        secret_header: crate::customers::DEFAULT_SECRET_HEADER.to_owned(),
        secret: None,
        timeout_ms: i64::from(crate::customers::DEFAULT_TIMEOUT_MS),
        updated_at: now,
    }
}

pub async fn seed_queues(store: &Store, tenant_id: &str) -> Result<(), StoreError> {
    let now = now_ms();
    let mut transaction = store.transaction().await?;
    for queue in demo_queues(tenant_id, now) {
        let saved = transaction.put_queue(&queue).await?;
        let detail = serde_json::json!({ "name": saved.name });
        transaction
            .record_audit(
                &Actor::system(tenant_id),
                "queue.put",
                &saved.key,
                &detail,
                now,
            )
            .await?;
    }
    transaction.commit().await
}

/// The demo's queues, always open but for complaints, which a senior team takes from 09:00 to
/// 21:00 every day, the general customer service taking its conversations at night.
fn demo_queues(tenant_id: &str, now: i64) -> Vec<QueueRow> {
    DEMO_QUEUES
        .iter()
        .map(|&(key, name, name_en)| {
            let complaints = key == "complaints";
            QueueRow {
                tenant_id: tenant_id.to_owned(),
                key: key.to_owned(),
                name: name.to_owned(),
                name_en: name_en.to_owned(),
                languages: serde_json::json!(["zh-CN", "en"]),
                hours: complaints.then(|| {
                    serde_json::json!({ "days": [1, 2, 3, 4, 5, 6, 7], "open": "09:00", "close": "21:00" })
                }),
                overflow: complaints.then(|| "customer-service".to_owned()),
                created_at: now,
                updated_at: now,
            }
        })
        .collect()
}

pub async fn run(
    store: &Store,
    secrets: &ServerKey,
    address: SocketAddr,
    data_dir: &Path,
    history: bool,
) -> Result<Option<FirstRunCredentials>, FirstRunError> {
    let unfinished = match store.get_tenant_by_slug(DEMO_TENANT_SLUG).await? {
        Some(tenant) if is_unfinished_demo(store, &tenant, now_ms()).await? => Some(tenant),
        Some(_) => return Ok(None),
        None if !store.list_tenants().await?.is_empty() => return Ok(None),
        None => None,
    };
    // Everything that could fail without the database comes before the tenant exists, so a
    // failure leaves nothing half made.
    let documents = EXAMPLE_FLOWS
        .iter()
        .map(|&(name, text)| {
            serde_json::from_str::<Value>(text)
                .map(|document| (name, document))
                .map_err(|error| FirstRunError::BadExampleFlow {
                    name,
                    detail: error.to_string(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let password = generate_password()?;
    let now = now_ms();
    let tenant = match unfinished {
        Some(tenant) => {
            tracing::warn!(tenant = %tenant.id, "first run: finishing the demo tenant that an earlier start left half made");
            tenant
        }
        None => {
            let mut transaction = store.transaction().await?;
            let created = transaction
                .create_tenant(DEMO_TENANT_NAME, DEMO_TENANT_SLUG, &demo_settings(), now)
                .await;
            match created {
                Ok(tenant) => {
                    transaction.commit().await?;
                    tenant
                }
                // Another server starting against the same database got there first.
                Err(error) if error.is_conflict_on(constraint::TENANT_SLUG) => return Ok(None),
                Err(error) => return Err(error.into()),
            }
        }
    };
    tracing::info!(tenant = %tenant.id, "first run: creating the demo tenant");

    seed_knowledge_bases(store, &tenant.id, &knowledge_files()).await?;
    seed_queues(store, &tenant.id).await?;

    // What a cut-off run left, read before the rest is written in one transaction.
    let existing = store.list_flows(&tenant.id, None).await?;
    let owner = store
        .list_users(&tenant.id)
        .await?
        .into_iter()
        .find(|user| user.email == DEMO_OWNER_EMAIL);
    let unshown_keys: Vec<String> = store
        .list_api_keys(&tenant.id)
        .await?
        .into_iter()
        .filter(|key| {
            [DEMO_API_KEY_NAME, EARLIER_DEMO_API_KEY_NAME].contains(&key.name.as_str())
                && key.revoked_at.is_none()
        })
        .map(|key| key.id)
        .collect();
    let channels = store.list_widget_channels(&tenant.id).await?;
    let has_lookup = store.get_customer_lookup(&tenant.id).await?.is_some();
    let mut transaction = store.transaction().await?;
    let mut flows = existing;
    for (name, draft) in &documents {
        if !flows.iter().any(|flow| flow.name == *name) {
            let new = NewFlow { name, draft };
            flows.push(transaction.create_flow(&tenant.id, &new, now).await?.into());
        }
    }
    // In the examples' own order, as the credentials list them.
    flows.retain(|flow| EXAMPLE_FLOWS.iter().any(|(name, _)| *name == flow.name));
    flows.sort_by_key(|flow| {
        EXAMPLE_FLOWS
            .iter()
            .position(|(name, _)| *name == flow.name)
    });
    for flow in flows.iter().filter(|flow| flow.published_version.is_none()) {
        transaction
            .publish_flow(
                &tenant.id,
                &flow.id,
                flow.revision,
                EXAMPLE_FLOW_NOTE,
                "system",
                now,
            )
            .await?;
    }
    let user = match owner {
        Some(user) => {
            transaction
                .set_user_password(&tenant.id, &user.id, &password)
                .await?;
            user
        }
        None => {
            transaction
                .create_user(
                    &tenant.id,
                    &NewUser {
                        email: DEMO_OWNER_EMAIL,
                        display_name: DEMO_OWNER_NAME,
                        password: &password,
                        role: Role::Owner,
                    },
                    now,
                )
                .await?
        }
    };
    // The owner answers every queue in the agent console: the demo has nobody else.
    let all_queues = serde_json::json!(DEMO_QUEUES.iter().map(|q| q.0).collect::<Vec<_>>());
    transaction
        .put_agent_queues(&tenant.id, &user.id, &all_queues, now)
        .await?;
    // A key from the cut-off run was never shown to anyone.
    for key_id in &unshown_keys {
        transaction.revoke_api_key(&tenant.id, key_id, now).await?;
    }
    let key = transaction
        .create_api_key(&tenant.id, DEMO_API_KEY_NAME, Role::Owner, None, now)
        .await?;
    let (widget_key, widget_identity) = match channels.into_iter().next() {
        Some(channel) => (channel.key, None),
        None => {
            let flow = flows
                .iter()
                .find(|flow| flow.name == DEMO_WIDGET_FLOW)
                .ok_or_else(|| FirstRunError::MissingExampleFlow(DEMO_WIDGET_FLOW))?;
            let mut allowed_origins = vec![url_for(address)];
            allowed_origins.extend(DEMO_WIDGET_PAGE_ORIGINS.iter().map(|o| (*o).to_owned()));
            let fields = ChannelFields {
                name: DEMO_WIDGET_NAME.to_owned(),
                allowed_origins,
                enabled: true,
                language: WidgetLanguage::Chinese,
            };
            let channel = transaction
                .create_widget_channel(&tenant.id, &flow.id, &fields, now)
                .await?
                .ok_or_else(|| FirstRunError::MissingExampleFlow(DEMO_WIDGET_FLOW))?;
            // Without a server key at hand (a PostgreSQL server without a data directory) or a
            // usable one, the demo works all the same, with anonymous visitors only; the
            // owner can make a secret later.
            let identity = match secrets.at_hand().then(|| secrets.get()) {
                None => None,
                Some(Ok(secrets)) => {
                    let made = new_identity_secret(
                        &mut transaction,
                        secrets,
                        &tenant.id,
                        &channel.id,
                        now,
                    )
                    .await
                    .map_err(|error| FirstRunError::Identity(error.to_string()))?;
                    let secret = made.identity_secret;
                    Some(DemoIdentity {
                        secret: secret.as_str().to_owned(),
                        customer: DEMO_SIGNED_IN_MEMBER.to_owned(),
                        signature: secret.sign(DEMO_SIGNED_IN_MEMBER),
                    })
                }
                Some(Err(error)) => {
                    tracing::warn!(%error, "the demo's widget channel has no identity secret: the server's key is unusable");
                    None
                }
            };
            (channel.key, identity)
        }
    };
    // The demo shop knows a few members by their number, so the flows greet them by name.
    if !has_lookup {
        transaction
            .put_customer_lookup(&demo_customer_lookup(&tenant.id, now))
            .await?;
    }
    let detail = serde_json::json!({
        "user": user.id,
        "api_key": key.key.id,
        "flows": flows.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
        // Whether the demo's past calls are to be played (`demo::history::play_if_due`).
        "history": history,
    });
    transaction
        .record_audit(
            &Actor::system(&tenant.id),
            FIRST_RUN_ACTION,
            &tenant.id,
            &detail,
            now,
        )
        .await?;
    transaction.commit().await?;

    let mut credentials = FirstRunCredentials {
        tenant_id: tenant.id,
        tenant_name: tenant.name,
        tenant_slug: tenant.slug,
        flows: flows.into_iter().map(|f| f.name).collect(),
        url: url_for(address),
        email: user.email,
        password,
        api_key: key.token,
        widget_key,
        widget_identity,
        saved_to: None,
        save_error: None,
    };
    if data_dir.is_dir() {
        let path = data_dir.join(CREDENTIALS_FILE);
        match write_private(&path, &credentials.file_text()) {
            Ok(()) => credentials.saved_to = Some(path),
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "cannot save the first-run credentials");
                credentials.save_error = Some(format!("{}: {error}", path.display()));
            }
        }
    }
    tracing::info!(
        tenant = %credentials.tenant_id,
        flows = credentials.flows.len(),
        "first run: created the demo tenant, its owner and an API key"
    );
    Ok(Some(credentials))
}

/// Writes `text` to `path`, readable and writable only by the owner (mode 0600 on Unix); the
/// permissions are narrowed before anything is written, also when the file existed.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        write_all(file, text)
    }
    #[cfg(not(unix))]
    {
        write_all(options.open(path)?, text)
    }
}

fn write_all(mut file: std::fs::File, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_long_readable_and_different() {
        let first = generate_password().expect("password");
        let second = generate_password().expect("password");
        assert_eq!(first.chars().count(), PASSWORD_LENGTH);
        assert!(first.bytes().all(|b| PASSWORD_ALPHABET.contains(&b)));
        assert!(!first.contains(['0', 'O', 'o', '1', 'l', 'I']));
        assert_ne!(first, second);
    }

    #[test]
    fn example_flows_are_embedded_under_their_own_names() {
        for (name, text) in EXAMPLE_FLOWS {
            let document: Value = serde_json::from_str(text).expect("JSON");
            assert_eq!(document["name"], name);
        }
    }

    #[test]
    fn knowledge_files_name_their_base() {
        let base = |file: &str| knowledge_file_base(file);
        assert_eq!(
            base("shop-faq.zh-CN.csv"),
            Some(("shop-faq".into(), "zh-CN".into(), "商城常见问题".into()))
        );
        assert_eq!(
            base("shop-faq.en.csv"),
            Some(("shop-faq-en".into(), "en".into(), "Shop FAQ".into()))
        );
        assert_eq!(
            base("returns.en-US.csv"),
            Some((
                "returns-en-us".into(),
                "en-US".into(),
                "returns-en-us".into()
            ))
        );
        assert_eq!(base("faq.csv"), None);
        for (file, _) in knowledge_files() {
            assert!(base(&file).is_some(), "{file}");
        }
    }

    #[tokio::test]
    async fn knowledge_files_become_bases_once() {
        let directory = tempfile::tempdir().expect("directory");
        let store = Store::connect(&Store::sqlite_url(&directory.path().join("db")))
            .await
            .expect("store");
        store.migrate().await.expect("migrate");
        let mut transaction = store.transaction().await.expect("transaction");
        let tenant = transaction
            .create_tenant("Demo", "demo", &TenantSettings::default(), now_ms())
            .await
            .expect("tenant");
        transaction.commit().await.expect("commit");
        let files = vec![
            (
                "shop-faq.zh-CN.csv".to_owned(),
                "问题,答案,分类\n多久发货,48小时内发货,物流\n没有答案,,\n"
                    .as_bytes()
                    .to_vec(),
            ),
            (
                "shop-faq.en.csv".to_owned(),
                b"\xEF\xBB\xBFquestion,answer\nHow long is shipping?,Two days.\n".to_vec(),
            ),
        ];
        let seeded = seed_knowledge_bases(&store, &tenant.id, &files)
            .await
            .expect("seeded");
        assert_eq!(seeded, vec!["shop-faq", "shop-faq-en"]);
        let bases = store.list_knowledge_bases(&tenant.id).await.expect("bases");
        let summary: Vec<(String, String, i64, i64)> = bases
            .into_iter()
            .map(|b| (b.base.key, b.base.name, b.base.revision, b.entries))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("shop-faq".into(), "商城常见问题".into(), 2, 1),
                ("shop-faq-en".into(), "Shop FAQ".into(), 2, 1)
            ]
        );
        // A second run seeds nothing again.
        let again = seed_knowledge_bases(&store, &tenant.id, &files)
            .await
            .expect("seeded");
        assert!(again.is_empty());
        store.close().await;
    }

    #[test]
    fn unspecified_addresses_are_shown_as_loopback() {
        let url = |text: &str| url_for(text.parse().expect("address"));
        assert_eq!(url("0.0.0.0:8080"), "http://127.0.0.1:8080");
        assert_eq!(url("[::]:80"), "http://[::1]:80");
        assert_eq!(url("10.0.0.5:9000"), "http://10.0.0.5:9000");
    }

    #[test]
    fn the_message_says_everything_once() {
        let credentials = FirstRunCredentials {
            tenant_id: "ten_1".into(),
            tenant_name: DEMO_TENANT_NAME.into(),
            tenant_slug: DEMO_TENANT_SLUG.into(),
            flows: vec!["order-status".into()],
            url: "http://127.0.0.1:8080".into(),
            email: DEMO_OWNER_EMAIL.into(),
            password: "pw".into(),
            api_key: "cf_k".into(),
            widget_key: "cfw_k".into(),
            widget_identity: Some(DemoIdentity {
                secret: "cfi_s".into(),
                customer: DEMO_SIGNED_IN_MEMBER.into(),
                signature: "ab12".into(),
            }),
            saved_to: Some(PathBuf::from("data/first-run.txt")),
            save_error: None,
        };
        let text = credentials.to_string();
        assert!(text.contains("  API key:   cf_k\n"), "{text}");
        assert!(text.contains("  Widget:    cfw_k (order-status"), "{text}");
        assert!(
            text.contains("  Identity:  cfi_s (")
                && text.contains("data-customer=\"C1001\" data-customer-signature=\"ab12\""),
            "{text}"
        );
        assert!(text
            .contains("curl -H \"Authorization: Bearer cf_k\" http://127.0.0.1:8080/api/v1/flows"));
        assert!(text.contains("shown only now"));
        assert!(text.contains("data/first-run.txt"));
        assert!(credentials.file_text().contains("  Password:  pw\n"));
    }
}
